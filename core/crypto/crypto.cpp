#include "core/crypto/crypto.hpp"

#include <openssl/evp.h>
#include <sodium.h>
#include <stdexcept>

namespace bartab::core::crypto {

void init() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

std::vector<std::uint8_t> Random::bytes(std::size_t n) {
  std::vector<std::uint8_t> out(n);
  fill(out.data(), n);
  return out;
}

std::string Random::token(std::size_t n) {
  auto raw = bytes(n);
  return base64url_encode(raw.data(), raw.size());
}

void SystemRandom::fill(std::uint8_t* out, std::size_t n) {
  randombytes_buf(out, n);
}

std::string base64url_encode(const std::uint8_t* data, std::size_t n) {
  std::string out(sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), data, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

std::string base64url_encode(std::string_view data) {
  return base64url_encode(reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
}

std::optional<std::string> base64url_decode(std::string_view text) {
  std::string out(text.size() * 3 / 4 + 3, '\0');
  std::size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(),
                        nullptr, &len, &end, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
    return std::nullopt;
  }
  if (end != text.data() + text.size()) return std::nullopt;
  out.resize(len);
  // Reject non-canonical encodings (stray bits in the last character), so one value
  // has exactly one spelling.
  if (base64url_encode(out) != text) return std::nullopt;
  return out;
}

std::string hex_encode(const std::uint8_t* data, std::size_t n) {
  std::string out(n * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), data, n);
  out.pop_back();
  return out;
}

std::array<std::uint8_t, 32> sha256(std::string_view data) {
  std::array<std::uint8_t, 32> out{};
  crypto_hash_sha256(out.data(), reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return out;
}

Sha256::Sha256() : context_(EVP_MD_CTX_new()) {
  if (context_ == nullptr || EVP_DigestInit_ex(context_, EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(context_);
    throw std::runtime_error("OpenSSL could not start a SHA-256");
  }
}

Sha256::~Sha256() {
  EVP_MD_CTX_free(context_);
}

void Sha256::update(std::string_view data) {
  if (EVP_DigestUpdate(context_, data.data(), data.size()) != 1)
    throw std::runtime_error("SHA-256 update failed");
}

std::string Sha256::hex_digest() {
  std::array<std::uint8_t, 32> out{};
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(context_, out.data(), &length) != 1 || length != out.size())
    throw std::runtime_error("SHA-256 final failed");
  return hex_encode(out.data(), out.size());
}

std::string sha256_hex(std::string_view data) {
  auto digest = sha256(data);
  return hex_encode(digest.data(), digest.size());
}

std::array<std::uint8_t, 32> hmac_sha256(std::string_view key, std::string_view message) {
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(message.data()),
                                message.size());
  std::array<std::uint8_t, 32> out{};
  crypto_auth_hmacsha256_final(&state, out.data());
  return out;
}

bool equal_constant_time(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

Ed25519KeyPair ed25519_generate() {
  Ed25519KeyPair key{};
  crypto_sign_keypair(key.public_key.data(), key.secret_key.data());
  return key;
}

std::array<std::uint8_t, 64> ed25519_sign(const Ed25519KeyPair& key, std::string_view message) {
  std::array<std::uint8_t, 64> signature{};
  crypto_sign_detached(signature.data(), nullptr, reinterpret_cast<const unsigned char*>(message.data()),
                       message.size(), key.secret_key.data());
  return signature;
}

bool ed25519_verify(const std::array<std::uint8_t, 32>& public_key, std::string_view message,
                    std::string_view signature) {
  if (signature.size() != crypto_sign_BYTES) return false;
  return crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature.data()),
                                     reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                                     public_key.data()) == 0;
}

std::string password_hash(std::string_view password, const PasswordParams& params) {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), params.ops_limit, params.mem_limit,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    throw std::runtime_error("password hashing ran out of memory");
  }
  return out;
}

bool password_verify(std::string_view phc, std::string_view password) {
  if (phc.size() >= crypto_pwhash_STRBYTES) return false;
  std::string terminated(phc);
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

bool password_needs_rehash(std::string_view phc, const PasswordParams& params) {
  if (phc.size() >= crypto_pwhash_STRBYTES) return true;
  std::string terminated(phc);
  return crypto_pwhash_str_needs_rehash(terminated.c_str(), params.ops_limit, params.mem_limit) != 0;
}

}  // namespace bartab::core::crypto
