// The auth service's HTTP routes. Each handler: authenticate, parse into a typed
// request, call one AuthService method, map the result.
#include "services/auth/api/routes.hpp"

#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <map>

#include "core/crypto/crypto.hpp"
#include "core/errors.hpp"
#include "core/tokens/bearer.hpp"

namespace bartab::auth {

namespace json = boost::json;
namespace bhttp = boost::beast::http;
using boost::asio::awaitable;
using core::http::Request;
using core::http::Response;

namespace {

// --- parsing helpers --------------------------------------------------------------

using core::optional_string;
using core::required_string;

json::array scope_array(const std::string& scopes) {
  json::array out;
  std::string_view rest = scopes;
  while (!rest.empty()) {
    auto space = rest.find(' ');
    out.emplace_back(rest.substr(0, space));
    if (space == std::string_view::npos) break;
    rest.remove_prefix(space + 1);
  }
  return out;
}

std::string client_of(const Request& request) {
  return request.remote.to_string();
}

// --- response mapping -------------------------------------------------------------

json::object token_body(const TokenGrant& grant) {
  json::object body{{"access_token", grant.access_token},
                    {"token_type", "Bearer"},
                    {"expires_in", grant.expires_in},
                    {"scope", grant.scope},
                    {"user_id", grant.user_id}};
  if (grant.refresh_token) body["refresh_token"] = *grant.refresh_token;
  return body;
}

// Responses carrying tokens must not be cached (RFC 6749 section 5.1).
Response token_response(unsigned status, const TokenGrant& grant) {
  auto response = core::http::json_response(status, token_body(grant));
  core::http::head(response).set(bhttp::field::cache_control, "no-store");
  core::http::head(response).set(bhttp::field::pragma, "no-cache");
  return response;
}

json::object public_profile(const User& u) {
  json::object out{
      {"user_id", u.id}, {"username", u.username}, {"display_name", u.display_name}, {"kind", u.kind}};
  if (u.avatar) out["avatar"] = *u.avatar;
  return out;
}

json::object own_profile(const User& u) {
  auto out = public_profile(u);
  out["admin"] = u.admin;
  out["scopes"] = scope_array(u.scopes);
  return out;
}

json::object bot_entry(const User& u) {
  return {{"user_id", u.id},
          {"username", u.username},
          {"display_name", u.display_name},
          {"scopes", scope_array(u.scopes)}};
}

Response oauth_error(const OAuthError& e) {
  auto response =
      core::http::json_response(e.status(), {{"error", e.error()}, {"error_description", e.what()}});
  auto& h = core::http::head(response);
  h.set(bhttp::field::cache_control, "no-store");
  if (e.status() == 401) h.set(bhttp::field::www_authenticate, "Basic realm=\"bartab\"");
  return response;
}

// --- the token endpoint's body: a form or JSON, both flattened to strings ----------

std::map<std::string, std::string> token_parameters(const Request& request) {
  std::map<std::string, std::string> out;
  auto type = request.message[bhttp::field::content_type];
  auto media = type.substr(0, type.find(';'));
  if (boost::beast::iequals(media, "application/json")) {
    for (const auto& [key, value] : request.json_object()) {
      if (!value.is_string())
        throw OAuthError(400, "invalid_request", std::string(key) + " must be a string");
      out.emplace(std::string(key), std::string(value.get_string()));
    }
    return out;
  }
  if (!boost::beast::iequals(media, "application/x-www-form-urlencoded")) {
    throw OAuthError(400, "invalid_request", "send application/x-www-form-urlencoded or application/json");
  }
  // A form body is a query string ('+' for space included).
  auto query = "?" + request.message.body();  // outlives the view parsed from it
  auto ref = boost::urls::parse_relative_ref(query);
  if (!ref) throw OAuthError(400, "invalid_request", "the form body is malformed");
  for (auto param : ref->params()) {
    std::string key(param.key);
    if (out.contains(key)) throw OAuthError(400, "invalid_request", key + " is repeated");
    out.emplace(std::move(key), std::string(param.value));
  }
  return out;
}

// Client credentials from HTTP Basic (client_secret_basic), if present.
std::optional<std::pair<std::string, std::string>> basic_credentials(const Request& request) {
  auto header = request.message[bhttp::field::authorization];
  if (header.size() < 7 || !boost::beast::iequals(header.substr(0, 6), "basic ")) return std::nullopt;
  auto text = std::string(header.substr(6));
  // Basic uses the padded standard alphabet; translate to base64url for the decoder.
  for (auto& c : text) c = c == '+' ? '-' : c == '/' ? '_' : c;
  while (!text.empty() && text.back() == '=') text.pop_back();
  auto decoded = core::crypto::base64url_decode(text);
  if (!decoded) throw OAuthError(401, "invalid_client", "malformed Basic credentials");
  auto colon = decoded->find(':');
  if (colon == std::string::npos) throw OAuthError(401, "invalid_client", "malformed Basic credentials");
  return std::pair{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

std::string param(const std::map<std::string, std::string>& params, const std::string& key) {
  auto it = params.find(key);
  if (it == params.end() || it->second.empty())
    throw OAuthError(400, "invalid_request", key + " is required");
  return it->second;
}

}  // namespace

std::vector<core::http::RouteSpec> auth_routes(AuthService& service) {
  auto& s = service;
  auto& verifier = service.verifier();
  using V = bhttp::verb;
  return {
      // POST /v1/auth/register: a new account (open, with an invite, or the admin invite).
      {V::post, "/v1/auth/register",
       [&s](Request& r) -> awaitable<Response> {
         auto body = r.json_object();
         NewAccount account{required_string(body, "username"), required_string(body, "password"),
                            optional_string(body, "display_name"), optional_string(body, "invite")};
         auto [grant, user] = co_await s.register_account(std::move(account), client_of(r));
         co_return token_response(201, grant);
       }},

      // POST /v1/auth/login: username and password for a new session.
      {V::post, "/v1/auth/login",
       [&s](Request& r) -> awaitable<Response> {
         auto body = r.json_object();
         auto grant = co_await s.login(required_string(body, "username"), required_string(body, "password"),
                                       client_of(r));
         co_return token_response(200, grant);
       }},

      // POST /v1/auth/token: OAuth 2 token endpoint (refresh_token, client_credentials).
      {V::post, "/v1/auth/token",
       [&s](Request& r) -> awaitable<Response> {
         try {
           auto params = token_parameters(r);
           auto grant_type = param(params, "grant_type");
           if (grant_type == "refresh_token") {
             co_return token_response(200, co_await s.refresh(param(params, "refresh_token")));
           }
           if (grant_type != "client_credentials") {
             throw OAuthError(400, "unsupported_grant_type",
                              "grant_type " + grant_type + " is not supported");
           }
           auto basic = basic_credentials(r);
           auto id = basic ? basic->first : param(params, "client_id");
           auto secret = basic ? basic->second : param(params, "client_secret");
           co_return token_response(200, co_await s.client_credentials(std::move(id), std::move(secret)));
         } catch (const OAuthError& e) {
           co_return oauth_error(e);
         } catch (const core::ApiError& e) {
           if (e.code() != core::ErrorCode::bad_request &&
               e.code() != core::ErrorCode::unsupported_media_type)
             throw;
           co_return oauth_error(OAuthError(400, "invalid_request", e.what()));
         }
       }},

      // POST /v1/auth/logout: ends the caller's session (its refresh token stops working).
      {V::post, "/v1/auth/logout",
       [&s, &verifier](Request& r) -> awaitable<Response> {
         auto caller = co_await core::tokens::authenticate(r, verifier);
         co_await s.logout(caller);
         co_return core::http::empty_response(204);
       }},

      // GET /v1/auth/me: the caller's own profile.
      {V::get, "/v1/auth/me",
       [&s, &verifier](Request& r) -> awaitable<Response> {
         auto caller = co_await core::tokens::authenticate(r, verifier);
         co_return core::http::json_response(200, own_profile(co_await s.me(caller)));
       }},

      // PATCH /v1/auth/me: change display_name and/or avatar (null clears the avatar).
      {V::patch, "/v1/auth/me",
       [&s, &verifier](Request& r) -> awaitable<Response> {
         auto caller = co_await core::tokens::authenticate(r, verifier);
         auto body = r.json_object();
         ProfileChange change;
         change.display_name = optional_string(body, "display_name");
         change.avatar_set = body.contains("avatar");
         change.avatar = optional_string(body, "avatar");
         co_return core::http::json_response(200, own_profile(co_await s.update_profile(caller, change)));
       }},

      // POST /v1/auth/password: change the password; other sessions are revoked.
      {V::post, "/v1/auth/password",
       [&s, &verifier](Request& r) -> awaitable<Response> {
         auto caller = co_await core::tokens::authenticate(r, verifier);
         auto body = r.json_object();
         co_await s.change_password(caller, required_string(body, "old_password"),
                                    required_string(body, "new_password"));
         co_return core::http::empty_response(204);
       }},

      // GET /v1/auth/users/{user_id}: a public profile.
      {V::get, "/v1/auth/users/{user_id}",
       [&s, &verifier](Request& r) -> awaitable<Response> {
         co_await core::tokens::authenticate(r, verifier);
         co_return core::http::json_response(
             200, public_profile(co_await s.user(std::string(r.param("user_id")))));
       }},

      // GET /v1/auth/users?username=NAME: a public profile by username.
      {V::get, "/v1/auth/users",
       [&s, &verifier](Request& r) -> awaitable<Response> {
         co_await core::tokens::authenticate(r, verifier);
         auto username = r.query("username");
         if (!username) core::throw_bad_request("the username query parameter is required");
         co_return core::http::json_response(200, public_profile(co_await s.user_by_username(*username)));
       }},

      // POST /v1/auth/bots: a new bot owned by the caller; its API key is shown once.
      {V::post, "/v1/auth/bots",
       [&s, &verifier](Request& r) -> awaitable<Response> {
         auto caller = co_await core::tokens::authenticate(r, verifier);
         auto body = r.json_object();
         NewBot bot{required_string(body, "username"), optional_string(body, "display_name"), std::nullopt};
         if (const auto* scopes = body.if_contains("scopes"); scopes != nullptr && !scopes->is_null()) {
           if (!scopes->is_array()) core::throw_bad_request("scopes must be an array of strings");
           bot.scopes.emplace();
           for (const auto& item : scopes->get_array()) {
             if (!item.is_string()) core::throw_bad_request("scopes must be an array of strings");
             bot.scopes->emplace_back(item.get_string());
           }
         }
         auto created = co_await s.create_bot(caller, std::move(bot));
         auto out = bot_entry(created.bot);
         out["api_key"] = created.api_key;
         auto response = core::http::json_response(201, out);
         core::http::head(response).set(bhttp::field::cache_control, "no-store");
         co_return response;
       }},

      // GET /v1/auth/bots: the caller's bots.
      {V::get, "/v1/auth/bots",
       [&s, &verifier](Request& r) -> awaitable<Response> {
         auto caller = co_await core::tokens::authenticate(r, verifier);
         auto mine = co_await s.bots(caller);
         json::array bots;
         for (const auto& bot : mine) bots.push_back(bot_entry(bot));
         co_return core::http::json_response(200, {{"bots", bots}});
       }},

      // DELETE /v1/auth/bots/{user_id}: the owner or an admin deletes a bot.
      {V::delete_, "/v1/auth/bots/{user_id}",
       [&s, &verifier](Request& r) -> awaitable<Response> {
         auto caller = co_await core::tokens::authenticate(r, verifier);
         co_await s.delete_bot(caller, std::string(r.param("user_id")));
         co_return core::http::empty_response(204);
       }},

      // POST /v1/auth/admin/invites: an admin makes a single-use invite.
      {V::post, "/v1/auth/admin/invites",
       [&s, &verifier](Request& r) -> awaitable<Response> {
         auto caller = co_await core::tokens::authenticate(r, verifier);
         auto invite = co_await s.create_invite(caller);
         co_return core::http::json_response(201, {{"invite", invite}});
       }},

      // POST /v1/auth/admin/users/{user_id}/disable: login and refresh refused from now on.
      {V::post, "/v1/auth/admin/users/{user_id}/disable",
       [&s, &verifier](Request& r) -> awaitable<Response> {
         auto caller = co_await core::tokens::authenticate(r, verifier);
         co_await s.disable_user(caller, std::string(r.param("user_id")));
         co_return core::http::empty_response(204);
       }},

      // GET /.well-known/jwks.json: the published verification keys.
      {V::get, "/.well-known/jwks.json",
       [&s](Request&) -> awaitable<Response> {
         core::http::StringResponse response{bhttp::status::ok, 11};
         response.set(bhttp::field::content_type, "application/json; charset=utf-8");
         response.set(bhttp::field::cache_control, "public, max-age=60");
         response.body() = s.jwks();
         co_return response;
       }},

      // GET /.well-known/openid-configuration: issuer metadata.
      {V::get, "/.well-known/openid-configuration",
       [&s](Request&) -> awaitable<Response> {
         const auto& issuer = s.options().issuer;
         json::object body{{"issuer", issuer},
                           {"jwks_uri", issuer + "/.well-known/jwks.json"},
                           {"token_endpoint", issuer + "/v1/auth/token"},
                           {"grant_types_supported", json::array{"refresh_token", "client_credentials"}},
                           {"token_endpoint_auth_methods_supported",
                            json::array{"client_secret_post", "client_secret_basic"}},
                           {"id_token_signing_alg_values_supported", json::array{"EdDSA"}},
                           {"subject_types_supported", json::array{"public"}},
                           {"response_types_supported", json::array{}},
                           {"scopes_supported", json::array{"chat", "media", "admin"}}};
         auto response = core::http::json_response(200, body);
         core::http::head(response).set(bhttp::field::cache_control, "public, max-age=300");
         co_return response;
       }},
  };
}

}  // namespace bartab::auth
