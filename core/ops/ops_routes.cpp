#include "core/ops/ops_routes.hpp"

#include <boost/json.hpp>

namespace bartab::core {

namespace bhttp = boost::beast::http;
using http::Request;
using http::Response;

std::vector<http::RouteSpec> ops_routes(const HealthRegistry& health, const HttpMetrics& metrics,
                                        const Discovery& discovery) {
  std::vector<http::RouteSpec> routes;

  // GET /healthz: 200 while the process runs; no dependency is consulted.
  routes.push_back({bhttp::verb::get, "/healthz", [](Request&) -> boost::asio::awaitable<Response> {
                      co_return http::json_response(200, {{"status", "ok"}});
                    }});

  // GET /readyz: 200 when every registered check passes, else 503 naming the failures.
  routes.push_back(
      {bhttp::verb::get, "/readyz", [&health](Request&) -> boost::asio::awaitable<Response> {
         boost::json::object checks;
         std::string failing;
         for (const auto& [name, result] : health.run()) {
           boost::json::object entry{{"status", result.ok ? "ok" : "fail"}};
           if (!result.ok) {
             entry["detail"] = result.detail;
             failing += (failing.empty() ? "" : ", ") + name;
           }
           checks[name] = std::move(entry);
         }
         if (failing.empty()) co_return http::json_response(200, {{"status", "ready"}, {"checks", checks}});
         boost::json::object error{{"code", "unavailable"}, {"message", "not ready: " + failing}};
         co_return http::json_response(503,
                                       {{"status", "unavailable"}, {"checks", checks}, {"error", error}});
       }});

  // GET /.well-known/bartab: version and the public URL of each service.
  routes.push_back(
      {bhttp::verb::get, "/.well-known/bartab", [&discovery](Request&) -> boost::asio::awaitable<Response> {
         boost::json::object services{
             {"auth", discovery.auth_url}, {"chat", discovery.chat_url}, {"media", discovery.media_url}};
         co_return http::json_response(200, {{"version", discovery.version}, {"services", services}});
       }});

  // GET /metrics: Prometheus text exposition.
  routes.push_back({bhttp::verb::get, "/metrics", [&metrics](Request&) -> boost::asio::awaitable<Response> {
                      http::StringResponse response{bhttp::status::ok, 11};
                      response.set(bhttp::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
                      response.body() = metrics.render();
                      co_return response;
                    }});
  return routes;
}

}  // namespace bartab::core
