// Thin, typed wrappers over libsodium: randomness, encodings, hashes, Ed25519 and
// Argon2id. Nothing here invents cryptography; it only fixes the parameters.
#pragma once

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bartab::core::crypto {

// Call once before any other function (idempotent, thread-safe).
void init();

// Randomness is an interface so tests can make it repeatable.
class Random {
 public:
  virtual ~Random() = default;
  virtual void fill(std::uint8_t* out, std::size_t n) = 0;
  std::vector<std::uint8_t> bytes(std::size_t n);
  // n random bytes as base64url without padding (for tokens and ids).
  std::string token(std::size_t n);
};

// The operating system's CSPRNG (libsodium randombytes).
class SystemRandom final : public Random {
 public:
  void fill(std::uint8_t* out, std::size_t n) override;
};

std::string base64url_encode(const std::uint8_t* data, std::size_t n);
std::string base64url_encode(std::string_view data);
// Strict: the URL-safe alphabet without padding; nullopt on anything else.
std::optional<std::string> base64url_decode(std::string_view text);
std::string hex_encode(const std::uint8_t* data, std::size_t n);

std::array<std::uint8_t, 32> sha256(std::string_view data);
std::string sha256_hex(std::string_view data);

// SHA-256 of data that arrives in pieces (an upload hashed as it streams in). OpenSSL's,
// not libsodium's: it uses the CPU's SHA extensions (2 GB/s here against libsodium's
// portable 0.4 GB/s), and uploads hash every byte on an HTTP thread.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::string_view data);
  // Finishes the hash: lowercase hex. Call once.
  std::string hex_digest();

 private:
  evp_md_ctx_st* context_;
};
// HMAC-SHA256 (RFC 2104) of `message` under `key` (any length).
std::array<std::uint8_t, 32> hmac_sha256(std::string_view key, std::string_view message);
// Constant-time comparison of equal-length byte strings; false when lengths differ.
bool equal_constant_time(std::string_view a, std::string_view b);

struct Ed25519KeyPair {
  std::array<std::uint8_t, 32> public_key;
  std::array<std::uint8_t, 64> secret_key;  // libsodium's seed || public key form
};
Ed25519KeyPair ed25519_generate();
std::array<std::uint8_t, 64> ed25519_sign(const Ed25519KeyPair& key, std::string_view message);
bool ed25519_verify(const std::array<std::uint8_t, 32>& public_key, std::string_view message,
                    std::string_view signature);

// Argon2id parameters; the defaults are OWASP's minimum (m = 19 MiB, t = 2, p = 1).
struct PasswordParams {
  std::uint64_t ops_limit = 2;
  std::size_t mem_limit = 19u << 20;
};
// The PHC string ($argon2id$v=19$m=19456,t=2,p=1$...).
std::string password_hash(std::string_view password, const PasswordParams& params);
bool password_verify(std::string_view phc, std::string_view password);
bool password_needs_rehash(std::string_view phc, const PasswordParams& params);

}  // namespace bartab::core::crypto
