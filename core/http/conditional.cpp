// Range and conditional request rules; see conditional.hpp for the decisions.
#include "core/http/conditional.hpp"

#include <algorithm>
#include <limits>
#include <optional>

namespace bartab::core::http {
namespace {

constexpr std::uint64_t kMaxU64 = std::numeric_limits<std::uint64_t>::max();

bool is_ows(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

bool is_digits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool iequals_ascii(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) { return lower(x) == lower(y); });
}

std::string_view strip_leading_zeros(std::string_view digits) {
  while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
  return digits;
}

// Orders two decimal numbers of any length exactly (no conversion, so no overflow).
int compare_decimal(std::string_view a, std::string_view b) {
  a = strip_leading_zeros(a);
  b = strip_leading_zeros(b);
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  return a.compare(b);
}

// A decimal number, saturating at 2^64-1: every position that large is past any end,
// and every length that large covers the whole representation, so saturation keeps
// the meaning.
std::uint64_t parse_saturating(std::string_view digits) {
  std::uint64_t value = 0;
  for (char c : digits) {
    auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (kMaxU64 - digit) / 10) return kMaxU64;
    value = value * 10 + digit;
  }
  return value;
}

// One int-range (`first-last`, `first-`) or suffix-range (`-last`), still as text.
struct RangeSpec {
  std::string_view first;  // empty for a suffix range
  std::string_view last;   // empty for an open range; the suffix length for a suffix range
};

std::optional<RangeSpec> parse_range_spec(std::string_view spec) {
  auto dash = spec.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  RangeSpec r{spec.substr(0, dash), spec.substr(dash + 1)};
  if (!is_digits(r.first) || !is_digits(r.last)) return std::nullopt;
  if (r.first.empty() && r.last.empty()) return std::nullopt;
  // RFC 9110 14.1.1: a last-pos below the first-pos makes the range invalid.
  if (!r.first.empty() && !r.last.empty() && compare_decimal(r.last, r.first) < 0) return std::nullopt;
  return r;
}

// The only element of a `bytes=` range set, or nullopt for another unit, an empty
// set or several ranges.
std::optional<std::string_view> single_byte_range(std::string_view header) {
  header = trim_ows(header);
  auto eq = header.find('=');
  if (eq == std::string_view::npos || !iequals_ascii(header.substr(0, eq), "bytes")) return std::nullopt;
  std::string_view rest = header.substr(eq + 1);
  std::optional<std::string_view> only;
  while (true) {
    auto comma = rest.find(',');
    auto element = trim_ows(rest.substr(0, comma));
    if (!element.empty()) {
      if (only) return std::nullopt;
      only = element;
    }
    if (comma == std::string_view::npos) return only;
    rest.remove_prefix(comma + 1);
  }
}

RangeDecision full() {
  return {};
}
RangeDecision unsatisfiable() {
  return {.kind = RangeDecision::Kind::unsatisfiable};
}
RangeDecision partial(std::uint64_t offset, std::uint64_t length) {
  return {.kind = RangeDecision::Kind::partial, .range = {offset, length}};
}

RangeDecision select_suffix(std::string_view suffix_digits, std::uint64_t size) {
  std::uint64_t suffix = parse_saturating(suffix_digits);
  if (suffix == 0) return unsatisfiable();
  std::uint64_t length = std::min(suffix, size);
  return partial(size - length, length);
}

RangeDecision select_from(const RangeSpec& spec, std::uint64_t size) {
  std::uint64_t first = parse_saturating(spec.first);
  if (first >= size) return unsatisfiable();
  std::uint64_t last = spec.last.empty() ? size - 1 : std::min(parse_saturating(spec.last), size - 1);
  return partial(first, last - first + 1);
}

bool is_etagc(unsigned char c) {
  return c == 0x21 || (c >= 0x23 && c != 0x7f);
}

// Reads one entity-tag (`"..."` or `W/"..."`) at the start of `s`; returns its
// opaque part (quotes included) and how many bytes it took.
struct ParsedTag {
  std::string_view opaque;
  std::size_t consumed = 0;
};

std::optional<ParsedTag> parse_entity_tag(std::string_view s) {
  std::size_t start = s.starts_with("W/") ? 2 : 0;
  if (s.size() <= start || s[start] != '"') return std::nullopt;
  std::size_t i = start + 1;
  while (i < s.size() && s[i] != '"') {
    if (!is_etagc(static_cast<unsigned char>(s[i]))) return std::nullopt;
    ++i;
  }
  if (i == s.size()) return std::nullopt;
  return ParsedTag{s.substr(start, i + 1 - start), i + 1};
}

// The opaque tag of our own ETag when it is exactly one well-formed entity-tag.
std::optional<std::string_view> own_opaque_tag(std::string_view etag) {
  auto tag = parse_entity_tag(etag);
  if (!tag || tag->consumed != etag.size()) return std::nullopt;
  return tag->opaque;
}

}  // namespace

RangeDecision decide_range(std::string_view range_header, std::uint64_t size) {
  auto element = single_byte_range(range_header);
  if (!element) return full();
  auto spec = parse_range_spec(*element);
  if (!spec) return full();
  if (size == 0) return unsatisfiable();
  if (spec->first.empty()) return select_suffix(spec->last, size);
  return select_from(*spec, size);
}

RangeDecision decide_range(std::string_view range_header, std::string_view if_range, std::string_view etag,
                           std::uint64_t size) {
  if_range = trim_ows(if_range);
  // If-Range uses the strong comparison (RFC 9110 13.1.5): a weak tag or a date never
  // validates, since they cannot prove the bytes are the same.
  bool strong_match = !etag.starts_with("W/") && !etag.empty() && if_range == etag;
  if (!if_range.empty() && !strong_match) return full();
  return decide_range(range_header, size);
}

std::string content_range(const ByteRange& r, std::uint64_t size) {
  return "bytes " + std::to_string(r.offset) + "-" + std::to_string(r.offset + r.length - 1) + "/" +
         std::to_string(size);
}

std::string unsatisfied_range(std::uint64_t size) {
  return "bytes */" + std::to_string(size);
}

bool none_match(std::string_view if_none_match, std::string_view etag) {
  auto ours = own_opaque_tag(etag);
  if (!ours) return false;
  std::string_view rest = trim_ows(if_none_match);
  if (rest == "*") return true;
  while (!rest.empty()) {
    while (!rest.empty() && (is_ows(rest.front()) || rest.front() == ',')) rest.remove_prefix(1);
    if (rest.empty()) return false;
    auto tag = parse_entity_tag(rest);
    std::size_t after = tag ? tag->consumed : 0;
    while (after < rest.size() && is_ows(rest[after])) ++after;
    bool well_formed = tag && (after == rest.size() || rest[after] == ',');
    if (well_formed && tag->opaque == *ours) return true;
    // A malformed entry is skipped up to the next comma; the rest is still read.
    if (!well_formed) after = std::min(rest.find(',', after), rest.size());
    rest.remove_prefix(after);
  }
  return false;
}

}  // namespace bartab::core::http
