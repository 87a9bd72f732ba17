#include "core/http/router.hpp"

#include <algorithm>
#include <boost/url/pct_string_view.hpp>
#include <optional>
#include <stdexcept>

namespace bartab::core::http {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  if (path.empty() || path.front() != '/') return parts;
  path.remove_prefix(1);
  while (true) {
    auto slash = path.find('/');
    parts.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

std::optional<std::string> percent_decode(std::string_view raw) {
  auto checked = boost::urls::make_pct_string_view(raw);
  if (!checked) return std::nullopt;
  return checked->decode();
}

}  // namespace

std::vector<Router::Segment> Router::parse_pattern(std::string_view pattern) {
  if (pattern.empty() || pattern.front() != '/') {
    throw std::logic_error("route pattern must start with '/': " + std::string(pattern));
  }
  std::vector<Segment> segments;
  for (auto part : split_path(pattern)) {
    bool is_param = part.size() > 2 && part.front() == '{' && part.back() == '}';
    if (is_param) {
      segments.push_back({false, std::string(part.substr(1, part.size() - 2))});
      continue;
    }
    if (part.find_first_of("{}") != std::string_view::npos) {
      throw std::logic_error("malformed route pattern: " + std::string(pattern));
    }
    segments.push_back({true, std::string(part)});
  }
  return segments;
}

bool Router::more_specific(const Pattern& a, const Pattern& b) {
  for (std::size_t i = 0; i < a.segments.size(); ++i) {
    if (a.segments[i].literal != b.segments[i].literal) return a.segments[i].literal;
  }
  return false;
}

void Router::add(RouteSpec spec) {
  auto segments = parse_pattern(spec.pattern);
  auto same_shape = [&](const Pattern& p) {
    if (p.segments.size() != segments.size()) return false;
    for (std::size_t i = 0; i < segments.size(); ++i) {
      if (p.segments[i].literal != segments[i].literal) return false;
      if (segments[i].literal && p.segments[i].text != segments[i].text) return false;
    }
    return true;
  };
  auto it = std::find_if(patterns_.begin(), patterns_.end(), same_shape);
  if (it == patterns_.end()) {
    patterns_.push_back({std::move(segments), {}});
    it = std::prev(patterns_.end());
  }
  if (it->by_method.contains(spec.method)) {
    throw std::logic_error("route registered twice: " + std::string(to_string(spec.method)) + " " +
                           spec.pattern);
  }
  auto& route = routes_.emplace_back(
      Route{routes_.size(), spec.method, std::move(spec.pattern), std::move(spec.handler), spec.options});
  it->by_method[route.method] = &route;
}

void Router::add_all(std::vector<RouteSpec> specs) {
  for (auto& spec : specs) add(std::move(spec));
}

RouteMatch Router::match(bhttp::verb method, std::string_view path) const {
  RouteMatch result;
  auto parts = split_path(path);
  std::vector<std::string> decoded;
  decoded.reserve(parts.size());
  for (auto part : parts) {
    auto value = percent_decode(part);
    if (!value) return result;
    decoded.push_back(std::move(*value));
  }

  const Pattern* best = nullptr;
  for (const auto& pattern : patterns_) {
    if (pattern.segments.size() != decoded.size()) continue;
    bool ok = true;
    for (std::size_t i = 0; i < decoded.size() && ok; ++i) {
      const auto& seg = pattern.segments[i];
      ok = seg.literal ? seg.text == decoded[i] : !decoded[i].empty();
    }
    if (ok && (best == nullptr || more_specific(pattern, *best))) best = &pattern;
  }
  if (best == nullptr) return result;

  for (const auto& [verb, route] : best->by_method) result.allowed.push_back(verb);
  if (best->by_method.contains(bhttp::verb::get) && !best->by_method.contains(bhttp::verb::head)) {
    result.allowed.push_back(bhttp::verb::head);
  }
  result.allowed.push_back(bhttp::verb::options);

  auto found = best->by_method.find(method);
  if (found == best->by_method.end() && method == bhttp::verb::head) {
    found = best->by_method.find(bhttp::verb::get);
  }
  if (found == best->by_method.end()) {
    result.kind = RouteMatch::Kind::method_not_allowed;
    return result;
  }
  result.kind = RouteMatch::Kind::found;
  result.route = found->second;
  for (std::size_t i = 0; i < decoded.size(); ++i) {
    if (!best->segments[i].literal) {
      result.params.push_back({best->segments[i].text, std::move(decoded[i])});
    }
  }
  return result;
}

std::string allow_header(const std::vector<bhttp::verb>& methods) {
  std::string out;
  for (auto verb : methods) {
    if (!out.empty()) out += ", ";
    out += to_string(verb);
  }
  return out;
}

}  // namespace bartab::core::http
