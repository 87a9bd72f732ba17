// Range requests and conditional requests (RFC 9110 sections 13 and 14) as pure
// decisions: which bytes to send for a Range header, the Content-Range values, and
// whether If-None-Match matches. No I/O; the caller builds the response.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace bartab::core::http {

struct ByteRange {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

struct RangeDecision {
  enum class Kind { full, partial, unsatisfiable } kind = Kind::full;
  ByteRange range;  // meaningful for partial only; always inside [0, size) and non-empty
};

// How to answer a GET with an optional Range header for a representation of `size`
// bytes. Only one `bytes=` range is honoured: `a-b`, `a-` or the suffix `-n`.
// - full: no header, an unknown unit, a syntax error, `a-b` with b < a, or several
//   ranges (RFC 9110 lets a server ignore Range; we never build multipart answers).
// - unsatisfiable: well formed but selecting nothing: first byte >= size, `-0`, or an
//   empty representation.
// - partial: otherwise; a last byte past the end is clamped to the end.
// Numbers of any length are read exactly, never overflowing: a first byte too large
// for 64 bits is past any end (unsatisfiable), a last byte or suffix that large reaches
// the end (clamped). The unit is case-insensitive; whitespace is tolerated around the
// value, after `=` and around the commas of the list (empty list elements are
// ignored), but not inside a range.
RangeDecision decide_range(std::string_view range_header, std::uint64_t size);

// The same, honouring If-Range: when `if_range` is non-empty and is not exactly the
// strong `etag` (a date, a weak or another tag), the Range is ignored and the answer
// is full, so a client never stitches bytes of two versions together.
RangeDecision decide_range(std::string_view range_header, std::string_view if_range, std::string_view etag,
                           std::uint64_t size);

// Content-Range of a 206: "bytes 0-99/1234". `r` must be non-empty.
std::string content_range(const ByteRange& r, std::uint64_t size);

// Content-Range of a 416: "bytes */1234".
std::string unsatisfied_range(std::uint64_t size);

// Whether an If-None-Match header matches `etag` (answer 304): `*`, or a
// comma-separated list of entity tags compared weakly (W/ ignored on both sides).
// Malformed entries never match; the well-formed entries around them still count.
bool none_match(std::string_view if_none_match, std::string_view etag);

}  // namespace bartab::core::http
