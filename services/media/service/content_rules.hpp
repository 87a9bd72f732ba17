// What the media service decides about content, as pure functions: the type sniffed
// from the first bytes, the type stored for an upload, whether it may be served
// inline, the Content-Disposition and Content-Security-Policy of a download, and the
// cleaned upload name. No I/O.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace bartab::media {

// Bytes the sniffer needs from the start of a file.
constexpr std::size_t kSniffBytes = 1024;

// The type recognised from the first bytes by their magic numbers (in the spirit of
// the WHATWG MIME Sniffing standard), or nullopt. Markup (HTML, SVG, XML) is
// recognised after an optional UTF-8 byte order mark and whitespace. Plain text, JSON
// and CSV are never sniffed: for them the declared type wins. Reads only within
// `first_bytes`, whatever its length.
std::optional<std::string> sniff_content_type(std::string_view first_bytes);

// A Content-Type header value normalised for storage: lowercase `type/subtype`, every
// parameter dropped except `charset` for text/* (lowercased, unquoted; dropped when
// empty or not a token). nullopt when malformed: empty, no slash, a bad token
// character, a wildcard (`*/*`, `image/*`), a part over 127 characters, or a parameter
// that breaks RFC 9110 syntax.
std::optional<std::string> normalize_content_type(std::string_view header);

// The type stored for an upload (API.md): the declared one unless sniffing recognises
// the bytes as another type, then the sniffed one; neither: application/octet-stream.
// Types are compared without parameters. A declared type that names what the sniffed
// container holds (a .docx in a zip, audio/mp4 in an MP4 container, an +xml type for
// XML) is a refinement, not a disagreement, and is kept.
std::string stored_content_type(const std::optional<std::string>& declared,
                                const std::optional<std::string>& sniffed);

// Whether thumbnails can be made: PNG, JPEG, GIF and WebP.
bool thumbnailable(std::string_view content_type);

// Whether the type may be served `inline`: an allowlist of types a browser shows
// without running anything (raster images, audio and video, plain text, CSV, JSON).
// Everything else, SVG, HTML, XML and PDF included, is an attachment.
bool served_inline(std::string_view content_type);

// The Content-Disposition value: `inline` or `attachment`, then for a non-empty name
// an ASCII `filename="..."` (anything outside printable ASCII and `" \ / ; %` become
// '_') and, when the name needed that, `filename*=UTF-8''...` (RFC 8187) carrying the
// exact name when it is valid UTF-8.
std::string content_disposition(bool inline_disposition, std::string_view filename);

// The upload's ?name= checked: valid UTF-8 without control characters (C0, DEL, C1)
// or bidirectional formatting characters (which disguise extensions, "txt.exe"
// shown as "exe.txt"), cut to its last path segment after '/' or '\', and 1..255
// bytes. nullopt when refused, including "." and "..". The name is metadata only:
// paths on disk are made from ids and hashes, never from it.
std::optional<std::string> clean_filename(std::string_view name);

// The Content-Security-Policy of every media response (see the .cpp for why).
std::string_view media_csp();

}  // namespace bartab::media
