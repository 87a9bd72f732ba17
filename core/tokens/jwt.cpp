#include "core/tokens/jwt.hpp"

#include <boost/json.hpp>

namespace bartab::core::tokens {
namespace json = boost::json;

namespace {

struct Parts {
  std::string_view header;
  std::string_view payload;
  std::string_view signature;
  std::string_view signing_input;
};

std::optional<Parts> split(std::string_view token) {
  // Bounded before any decoding: an access token is a few hundred bytes.
  if (token.size() > 8192) return std::nullopt;
  auto first = token.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  auto second = token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos)
    return std::nullopt;
  return Parts{token.substr(0, first), token.substr(first + 1, second - first - 1), token.substr(second + 1),
               token.substr(0, second)};
}

std::optional<json::object> decode_object(std::string_view part) {
  auto raw = crypto::base64url_decode(part);
  if (!raw) return std::nullopt;
  json::parse_options options;
  options.max_depth = 8;
  json::error_code ec;
  auto value = json::parse(*raw, ec, {}, options);
  if (ec || !value.is_object()) return std::nullopt;
  return std::move(value.as_object());
}

const json::string* string_field(const json::object& obj, std::string_view key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->value().is_string()) return nullptr;
  return &it->value().get_string();
}

std::optional<std::int64_t> int_field(const json::object& obj, std::string_view key) {
  auto it = obj.find(key);
  if (it == obj.end()) return std::nullopt;
  if (it->value().is_int64()) return it->value().get_int64();
  if (it->value().is_uint64() && it->value().get_uint64() <= INT64_MAX) {
    return static_cast<std::int64_t>(it->value().get_uint64());
  }
  return std::nullopt;
}

// The header must be exactly what we sign: alg EdDSA, typ at+jwt, a kid, nothing
// critical. Other members (jku, jwk, x5u, x5c, ...) are ignored, never followed.
std::optional<std::string> checked_kid(const json::object& header) {
  const auto* alg = string_field(header, "alg");
  const auto* typ = string_field(header, "typ");
  const auto* kid = string_field(header, "kid");
  if (alg == nullptr || *alg != "EdDSA") return std::nullopt;
  if (typ == nullptr || *typ != "at+jwt") return std::nullopt;
  if (kid == nullptr || kid->empty()) return std::nullopt;
  if (header.contains("crit")) return std::nullopt;
  return std::string(*kid);
}

std::optional<AccessClaims> read_claims(const json::object& body) {
  AccessClaims c;
  for (auto [key, out] : {std::pair{"iss", &c.iss}, std::pair{"sub", &c.sub}, std::pair{"jti", &c.jti},
                          std::pair{"scope", &c.scope}, std::pair{"sid", &c.sid}, std::pair{"kind", &c.kind},
                          std::pair{"name", &c.name}}) {
    const auto* value = string_field(body, key);
    if (value == nullptr) return std::nullopt;
    *out = std::string(*value);
  }
  auto exp = int_field(body, "exp");
  auto iat = int_field(body, "iat");
  if (!exp || !iat) return std::nullopt;
  c.exp = *exp;
  c.iat = *iat;
  if (body.contains("nbf")) {
    c.nbf = int_field(body, "nbf");
    if (!c.nbf) return std::nullopt;
  }
  auto aud = body.find("aud");
  if (aud == body.end()) return std::nullopt;
  if (aud->value().is_string()) {
    c.aud.emplace_back(aud->value().get_string());
  } else if (aud->value().is_array()) {
    for (const auto& item : aud->value().get_array()) {
      if (!item.is_string()) return std::nullopt;
      c.aud.emplace_back(item.get_string());
    }
  } else {
    return std::nullopt;
  }
  if (c.kind != "user" && c.kind != "bot") return std::nullopt;
  return c;
}

}  // namespace

bool AccessClaims::has_scope(std::string_view wanted) const {
  std::string_view rest = scope;
  while (!rest.empty()) {
    auto space = rest.find(' ');
    if (rest.substr(0, space) == wanted) return true;
    if (space == std::string_view::npos) break;
    rest.remove_prefix(space + 1);
  }
  return false;
}

std::string sign_access_token(const AccessClaims& c, std::string_view kid,
                              const crypto::Ed25519KeyPair& key) {
  json::object header{{"alg", "EdDSA"}, {"typ", "at+jwt"}, {"kid", kid}};
  json::array aud;
  for (const auto& a : c.aud) aud.emplace_back(a);
  json::object body{{"iss", c.iss}, {"sub", c.sub},     {"aud", aud},   {"exp", c.exp},   {"iat", c.iat},
                    {"jti", c.jti}, {"scope", c.scope}, {"sid", c.sid}, {"kind", c.kind}, {"name", c.name}};
  if (c.nbf) body["nbf"] = *c.nbf;
  std::string input = crypto::base64url_encode(json::serialize(header)) + "." +
                      crypto::base64url_encode(json::serialize(body));
  auto signature = crypto::ed25519_sign(key, input);
  return input + "." + crypto::base64url_encode(signature.data(), signature.size());
}

std::string_view describe(JwtError error) {
  switch (error) {
    case JwtError::malformed:
      return "the token is malformed";
    case JwtError::bad_header:
      return "the token header is not accepted (alg must be EdDSA, typ at+jwt)";
    case JwtError::unknown_kid:
      return "the token was signed by an unknown key";
    case JwtError::bad_signature:
      return "the token signature is invalid";
    case JwtError::bad_claims:
      return "the token claims are incomplete";
    case JwtError::wrong_issuer:
      return "the token was issued by someone else";
    case JwtError::wrong_audience:
      return "the token is not meant for this server";
    case JwtError::expired:
      return "the token has expired";
    case JwtError::not_yet_valid:
      return "the token is not valid yet";
  }
  return "the token is invalid";
}

std::optional<std::string> peek_kid(std::string_view token) {
  auto parts = split(token);
  if (!parts) return std::nullopt;
  auto header = decode_object(parts->header);
  if (!header) return std::nullopt;
  return checked_kid(*header);
}

std::variant<AccessClaims, JwtError> verify_access_token(std::string_view token, const KeySet& keys,
                                                         const VerifyOptions& options) {
  auto parts = split(token);
  if (!parts) return JwtError::malformed;
  auto header = decode_object(parts->header);
  if (!header) return JwtError::malformed;
  auto kid = checked_kid(*header);
  if (!kid) return JwtError::bad_header;
  auto key = keys.find(*kid);
  if (key == keys.end()) return JwtError::unknown_kid;
  auto signature = crypto::base64url_decode(parts->signature);
  if (!signature) return JwtError::malformed;
  if (!crypto::ed25519_verify(key->second, parts->signing_input, *signature)) return JwtError::bad_signature;

  auto body = decode_object(parts->payload);
  if (!body) return JwtError::malformed;
  auto claims = read_claims(*body);
  if (!claims) return JwtError::bad_claims;
  if (claims->iss != options.issuer) return JwtError::wrong_issuer;
  bool audience_ok = false;
  for (const auto& a : claims->aud) audience_ok = audience_ok || a == options.audience;
  if (!audience_ok) return JwtError::wrong_audience;
  if (options.now_s >= claims->exp + options.leeway_s) return JwtError::expired;
  if (claims->nbf && options.now_s + options.leeway_s < *claims->nbf) return JwtError::not_yet_valid;
  if (options.now_s + options.leeway_s < claims->iat) return JwtError::not_yet_valid;
  return *claims;
}

}  // namespace bartab::core::tokens
