// Content rules of the media service: sniffing, type normalisation, inline or
// attachment, Content-Disposition, upload names and the media CSP.
#include "services/media/service/content_rules.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

namespace bartab::media {
namespace {

using namespace std::string_view_literals;

// ---- bytes -----------------------------------------------------------------------

std::uint8_t byte_at(std::string_view s, std::size_t i) {
  return static_cast<std::uint8_t>(s[i]);
}

bool has_at(std::string_view s, std::size_t offset, std::string_view magic) {
  return s.size() >= offset && s.size() - offset >= magic.size() && s.substr(offset, magic.size()) == magic;
}

std::uint32_t big_endian32(std::string_view s, std::size_t i) {
  return std::uint32_t{byte_at(s, i)} << 24 | std::uint32_t{byte_at(s, i + 1)} << 16 |
         std::uint32_t{byte_at(s, i + 2)} << 8 | std::uint32_t{byte_at(s, i + 3)};
}

std::uint32_t little_endian32(std::string_view s, std::size_t i) {
  return std::uint32_t{byte_at(s, i + 3)} << 24 | std::uint32_t{byte_at(s, i + 2)} << 16 |
         std::uint32_t{byte_at(s, i + 1)} << 8 | std::uint32_t{byte_at(s, i)};
}

char lower_ascii(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string to_lower_ascii(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), lower_ascii);
  return out;
}

bool iequals_ascii(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower_ascii(x) == lower_ascii(y); });
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals_ascii(s.substr(0, prefix.size()), prefix);
}

// ---- fixed signatures ---------------------------------------------------------------

struct Signature {
  std::string_view magic;
  std::string_view type;
};

// Magic numbers at offset 0. String literals are split where a hex escape would
// otherwise swallow the next character ("\x7f" "ELF").
constexpr std::array kSignatures = {
    Signature{"\x89PNG\r\n\x1a\n"sv, "image/png"},
    Signature{"\xff\xd8\xff"sv, "image/jpeg"},
    Signature{"GIF87a"sv, "image/gif"},
    Signature{"GIF89a"sv, "image/gif"},
    Signature{"\x00\x00\x01\x00"sv, "image/x-icon"},
    Signature{"\x00\x00\x02\x00"sv, "image/x-icon"},  // .cur, which WHATWG files under icons
    Signature{"II*\x00"sv, "image/tiff"},
    Signature{"MM\x00*"sv, "image/tiff"},
    Signature{"%PDF-"sv, "application/pdf"},
    Signature{"%!PS-Adobe-"sv, "application/postscript"},
    Signature{"PK\x03\x04"sv, "application/zip"},
    Signature{"PK\x05\x06"sv, "application/zip"},  // an empty archive
    Signature{"\x1f\x8b\x08"sv, "application/gzip"},
    Signature{"7z\xbc\xaf\x27\x1c"sv, "application/x-7z-compressed"},
    Signature{"Rar!\x1a\x07\x00"sv, "application/x-rar-compressed"},
    Signature{"Rar!\x1a\x07\x01\x00"sv, "application/x-rar-compressed"},
    Signature{"\xfd"
              "7zXZ\x00"sv,
              "application/x-xz"},
    Signature{"\x00"
              "asm\x01\x00\x00\x00"sv,
              "application/wasm"},
    Signature{"\x7f"
              "ELF"sv,
              "application/x-executable"},
    Signature{"{\\rtf"sv, "application/rtf"},
    Signature{"OggS\x00"sv, "audio/ogg"},
    Signature{"ID3"sv, "audio/mpeg"},
    Signature{"fLaC"sv, "audio/flac"},
    Signature{"wOFF"sv, "font/woff"},
    Signature{"wOF2"sv, "font/woff2"},
    Signature{"OTTO"sv, "font/otf"},
    Signature{"\x00\x01\x00\x00\x00"sv, "font/ttf"},
    Signature{"ttcf"sv, "font/collection"},
};

std::optional<std::string> sniff_signature(std::string_view s) {
  for (const auto& signature : kSignatures) {
    if (s.starts_with(signature.magic)) return std::string(signature.type);
  }
  return std::nullopt;
}

// ---- structured binary formats ----------------------------------------------------

// RIFF containers name their form at offset 8.
std::optional<std::string> sniff_riff(std::string_view s) {
  if (!s.starts_with("RIFF")) return std::nullopt;
  if (has_at(s, 8, "WEBP")) return "image/webp";
  if (has_at(s, 8, "WAVE")) return "audio/wav";
  if (has_at(s, 8, "AVI ")) return "video/x-msvideo";
  return std::nullopt;
}

// "BM" alone starts ordinary words, so the header is checked too: zero reserved
// bytes and a known DIB header size.
bool is_bmp(std::string_view s) {
  if (!s.starts_with("BM") || s.size() < 18) return false;
  if (little_endian32(s, 6) != 0) return false;
  constexpr std::array<std::uint32_t, 7> kDibHeaderSizes = {12, 40, 52, 56, 64, 108, 124};
  return std::find(kDibHeaderSizes.begin(), kDibHeaderSizes.end(), little_endian32(s, 14)) !=
         kDibHeaderSizes.end();
}

// "MZ" alone starts ordinary words too: require the PE header it points at.
bool is_portable_executable(std::string_view s) {
  if (!s.starts_with("MZ") || s.size() < 64) return false;
  return has_at(s, little_endian32(s, 0x3c), "PE\x00\x00"sv);
}

// The type an ISO base media file brand stands for, and its rank: a lower rank is
// more specific (an AVIF also lists the generic HEIF brand).
struct BrandType {
  std::string_view type;
  int rank = 0;
};

std::optional<BrandType> brand_type(std::string_view brand) {
  if (brand == "avif" || brand == "avis") return BrandType{"image/avif", 0};
  for (auto heic : {"heic"sv, "heix"sv, "heim"sv, "heis"sv, "hevc"sv, "hevx"sv}) {
    if (brand == heic) return BrandType{"image/heic", 1};
  }
  if (brand == "mif1" || brand == "msf1") return BrandType{"image/heif", 2};
  if (brand == "qt  ") return BrandType{"video/quicktime", 3};
  if (brand == "M4A " || brand == "M4B " || brand == "M4P ") return BrandType{"audio/mp4", 4};
  if (brand.starts_with("3gp") || brand.starts_with("3g2")) return BrandType{"video/3gpp", 5};
  for (auto prefix : {"iso"sv, "mp4"sv, "avc1"sv, "M4V"sv, "dash"sv, "f4v "sv}) {
    if (brand.starts_with(prefix)) return BrandType{"video/mp4", 6};
  }
  return std::nullopt;
}

// ISO base media files (MP4, QuickTime, HEIF, AVIF) open with an `ftyp` box: a size,
// "ftyp", the major brand, a version, then compatible brands up to the box's end.
std::optional<std::string> sniff_iso_bmff(std::string_view s) {
  if (!has_at(s, 4, "ftyp") || s.size() < 12) return std::nullopt;
  std::uint32_t box_size = big_endian32(s, 0);
  if (box_size < 16 || box_size % 4 != 0) return std::nullopt;
  auto best = brand_type(s.substr(8, 4));
  if (best && best->type != "image/heif") return std::string(best->type);
  std::size_t end = std::min<std::size_t>(box_size, s.size());
  for (std::size_t i = 16; i + 4 <= end; i += 4) {
    auto candidate = brand_type(s.substr(i, 4));
    if (candidate && (!best || candidate->rank < best->rank)) best = candidate;
  }
  if (!best) return std::nullopt;
  return std::string(best->type);
}

// Matroska and WebM share the EBML header; its DocType element (ID 0x4282) says which.
std::optional<std::string> sniff_ebml(std::string_view s) {
  if (!s.starts_with("\x1a\x45\xdf\xa3"sv)) return std::nullopt;
  auto id = s.find("\x42\x82"sv, 4);
  if (id == std::string_view::npos || id + 2 >= s.size()) return "video/x-matroska";
  // The size is an EBML variable-length integer: its leading zero bits give its length.
  std::uint8_t first = byte_at(s, id + 2);
  int length = 1;
  while (length <= 8 && !(first & (0x80 >> (length - 1)))) ++length;
  if (length > 8 || id + 2 + length > s.size()) return "video/x-matroska";
  std::uint64_t size = first & (0xff >> length);
  for (int i = 1; i < length; ++i) size = size << 8 | byte_at(s, id + 2 + i);
  std::string_view doctype = s.substr(id + 2 + length, std::min<std::uint64_t>(size, 16));
  if (doctype.starts_with("webm")) return "video/webm";
  return "video/x-matroska";
}

// An MPEG audio frame header without ID3 tag: 11 sync bits, then a version, layer,
// bitrate and sample rate that are not reserved.
bool is_mpeg_audio_frame(std::string_view s) {
  if (s.size() < 4 || byte_at(s, 0) != 0xff || (byte_at(s, 1) & 0xe0) != 0xe0) return false;
  int version = (byte_at(s, 1) >> 3) & 3;
  int layer = (byte_at(s, 1) >> 1) & 3;
  int bitrate = byte_at(s, 2) >> 4;
  int sample_rate = (byte_at(s, 2) >> 2) & 3;
  return version != 1 && layer != 0 && bitrate != 0 && bitrate != 15 && sample_rate != 3;
}

// An AAC ADTS frame header: 12 sync bits, layer 0, a valid sampling frequency index.
bool is_adts_frame(std::string_view s) {
  if (s.size() < 7 || byte_at(s, 0) != 0xff || (byte_at(s, 1) & 0xf6) != 0xf0) return false;
  return ((byte_at(s, 2) >> 2) & 0xf) < 13;
}

std::optional<std::string> sniff_structured(std::string_view s) {
  if (auto riff = sniff_riff(s)) return riff;
  if (is_bmp(s)) return "image/bmp";
  if (is_portable_executable(s)) return "application/vnd.microsoft.portable-executable";
  if (auto ebml = sniff_ebml(s)) return ebml;
  if (is_adts_frame(s)) return "audio/aac";
  if (is_mpeg_audio_frame(s)) return "audio/mpeg";
  return std::nullopt;
}

// ---- markup -----------------------------------------------------------------------

bool is_markup_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

std::string_view skip_markup_space(std::string_view s) {
  while (!s.empty() && is_markup_space(s.front())) s.remove_prefix(1);
  return s;
}

// The document after a UTF-8 byte order mark and leading whitespace.
std::string_view markup_start(std::string_view s) {
  if (s.starts_with("\xef\xbb\xbf")) s.remove_prefix(3);
  return skip_markup_space(s);
}

// Skips `<!DOCTYPE ...>`, including an internal subset in brackets and quoted strings
// that may hold '>'; nullopt when it does not end within the bytes.
std::optional<std::string_view> skip_doctype(std::string_view s) {
  int depth = 0;
  char quote = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quote) {
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '"' || c == '\'') quote = c;
    if (c == '[') ++depth;
    if (c == ']' && depth > 0) --depth;
    if (c == '>' && depth == 0) return s.substr(i + 1);
  }
  return std::nullopt;
}

// Skips one prolog item at the start of `s` (processing instruction, comment or
// doctype); nullopt when `s` does not start with one or it does not end in the bytes.
std::optional<std::string_view> skip_prolog_item(std::string_view s) {
  auto skip_past = [&](std::string_view open, std::string_view close) -> std::optional<std::string_view> {
    auto end = s.find(close, open.size());
    if (end == std::string_view::npos) return std::nullopt;
    return s.substr(end + close.size());
  };
  if (s.starts_with("<?")) return skip_past("<?", "?>");
  if (s.starts_with("<!--")) return skip_past("<!--", "-->");
  if (istarts_with(s, "<!DOCTYPE")) return skip_doctype(s);
  return std::nullopt;
}

// The name of the first element after the prolog, or nullopt when the bytes end first
// or something else comes.
std::optional<std::string_view> first_element_name(std::string_view s) {
  while (true) {
    s = skip_markup_space(s);
    if (!s.starts_with('<') || s.size() < 2) return std::nullopt;
    if (s[1] != '?' && s[1] != '!') break;
    auto rest = skip_prolog_item(s);
    if (!rest) return std::nullopt;
    s = *rest;
  }
  s.remove_prefix(1);
  auto end =
      std::find_if(s.begin(), s.end(), [](char c) { return is_markup_space(c) || c == '>' || c == '/'; });
  if (end == s.end()) return std::nullopt;  // the name may go on past the bytes we have
  return s.substr(0, static_cast<std::size_t>(end - s.begin()));
}

bool is_svg_name(std::string_view name) {
  return iequals_ascii(name, "svg") ||
         (name.size() > 4 && iequals_ascii(name.substr(name.size() - 4), ":svg"));
}

// WHATWG's HTML patterns, matched case-insensitively after leading whitespace.
constexpr std::array kHtmlOpenings = {
    "<!DOCTYPE HTML"sv, "<HTML"sv, "<HEAD"sv,  "<SCRIPT"sv, "<IFRAME"sv, "<H1"sv,   "<DIV"sv, "<FONT"sv,
    "<TABLE"sv,         "<A"sv,    "<STYLE"sv, "<TITLE"sv,  "<B"sv,      "<BODY"sv, "<BR"sv,  "<P"sv,
};

bool looks_like_html(std::string_view start) {
  // A comment opens markup whatever follows it.
  if (start.starts_with("<!--")) return true;
  for (auto opening : kHtmlOpenings) {
    if (!istarts_with(start, opening) || start.size() <= opening.size()) continue;
    // WHATWG ends a tag with a space or '>'; any whitespace is accepted here, since
    // calling more documents HTML only makes more of them attachments.
    char next = start[opening.size()];
    if (is_markup_space(next) || next == '>') return true;
  }
  return false;
}

std::optional<std::string> sniff_markup(std::string_view s) {
  std::string_view start = markup_start(s);
  if (!start.starts_with('<')) return std::nullopt;
  auto root = first_element_name(start);
  if (root && is_svg_name(*root)) return "image/svg+xml";
  if (start.starts_with("<?xml")) return "text/xml";
  if (looks_like_html(start)) return "text/html";
  return std::nullopt;
}

// ---- Content-Type syntax ----------------------------------------------------------

bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar);
}

bool is_ows(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

std::string_view take_token(std::string_view& s) {
  auto end = std::find_if_not(s.begin(), s.end(), is_tchar);
  auto token = s.substr(0, static_cast<std::size_t>(end - s.begin()));
  s.remove_prefix(token.size());
  return token;
}

std::optional<std::string> take_token_value(std::string_view& s) {
  auto token = take_token(s);
  if (token.empty()) return std::nullopt;
  return std::string(token);
}

bool is_qdtext(unsigned char c) {
  return c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e) ||
         c >= 0x80;
}

bool is_quoted_pair_char(unsigned char c) {
  return c == '\t' || (c >= 0x20 && c != 0x7f);
}

// Reads a quoted-string at the start of `s` (which starts with '"') and returns its
// unescaped content; nullopt when it is malformed.
std::optional<std::string> take_quoted_string(std::string_view& s) {
  std::string value;
  for (std::size_t i = 1; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '"') {
      s.remove_prefix(i + 1);
      return value;
    }
    if (c == '\\') {
      if (i + 1 == s.size() || !is_quoted_pair_char(static_cast<unsigned char>(s[i + 1])))
        return std::nullopt;
      value += s[++i];
      continue;
    }
    if (!is_qdtext(c)) return std::nullopt;
    value += s[i];
  }
  return std::nullopt;
}

// The charset among `parameters` (the text after the media type, from its first ';'):
// "" when absent, nullopt when the parameter syntax is broken.
std::optional<std::string> find_charset(std::string_view parameters) {
  std::optional<std::string> charset;
  while (!parameters.empty()) {
    parameters = trim_ows(parameters.substr(1));  // past the ';'
    if (parameters.empty() || parameters.front() == ';') continue;
    std::string_view name = take_token(parameters);
    if (name.empty() || !parameters.starts_with('=')) return std::nullopt;
    parameters.remove_prefix(1);
    auto value = parameters.starts_with('"') ? take_quoted_string(parameters) : take_token_value(parameters);
    if (!value) return std::nullopt;
    parameters = trim_ows(parameters);
    if (!parameters.empty() && !parameters.starts_with(';')) return std::nullopt;
    if (!charset && iequals_ascii(name, "charset")) charset = to_lower_ascii(*value);
  }
  return charset.value_or("");
}

// The `type/subtype` of a Content-Type value, lowercased, ignoring parameters.
std::string essence(std::string_view content_type) {
  return to_lower_ascii(trim_ows(content_type.substr(0, content_type.find(';'))));
}

// ---- stored type --------------------------------------------------------------------

// Whether `declared` names more precisely what the `sniffed` container holds.
bool refines(std::string_view declared, std::string_view sniffed) {
  auto one_of = [&](std::initializer_list<std::string_view> types) {
    return std::find(types.begin(), types.end(), declared) != types.end();
  };
  if (sniffed == "application/zip") {
    return declared.ends_with("+zip") ||
           declared.starts_with("application/vnd.openxmlformats-officedocument.") ||
           declared.starts_with("application/vnd.oasis.opendocument.") ||
           one_of({"application/java-archive", "application/vnd.android.package-archive",
                   "application/x-zip-compressed"});
  }
  if (sniffed == "text/xml") return declared == "application/xml" || declared.ends_with("+xml");
  if (sniffed == "video/mp4") return one_of({"audio/mp4", "audio/x-m4a", "video/x-m4v"});
  if (sniffed == "audio/ogg") return one_of({"video/ogg", "application/ogg"});
  if (sniffed == "video/webm") return declared == "audio/webm";
  if (sniffed == "image/heif") return one_of({"image/heic", "image/avif"});
  if (sniffed == "image/x-icon") return declared == "image/vnd.microsoft.icon";
  return false;
}

// ---- names --------------------------------------------------------------------------

struct CodePoint {
  char32_t value = 0;
  std::size_t length = 0;
};

// The length of a UTF-8 sequence from its lead byte; 0 for bytes that never lead
// (continuations, and C0, C1, F5..FF which only start overlong or too large forms).
std::size_t utf8_sequence_length(std::uint8_t lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

// The UTF-8 sequence at the start of `s` (which must not be empty), or nullopt when
// it is invalid: overlong, a surrogate, past U+10FFFF or truncated.
std::optional<CodePoint> decode_utf8(std::string_view s) {
  std::uint8_t lead = byte_at(s, 0);
  if (lead < 0x80) return CodePoint{lead, 1};
  std::size_t length = utf8_sequence_length(lead);
  if (length == 0 || s.size() < length) return std::nullopt;
  char32_t value = lead & (0x7f >> length);
  for (std::size_t i = 1; i < length; ++i) {
    std::uint8_t c = byte_at(s, i);
    if ((c & 0xc0) != 0x80) return std::nullopt;
    value = value << 6 | (c & 0x3f);
  }
  constexpr char32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
  if (value < kMinimum[length] || (value >= 0xd800 && value <= 0xdfff) || value > 0x10ffff)
    return std::nullopt;
  return CodePoint{value, length};
}

bool is_valid_utf8(std::string_view s) {
  while (!s.empty()) {
    auto cp = decode_utf8(s);
    if (!cp) return false;
    s.remove_prefix(cp->length);
  }
  return true;
}

bool is_control(char32_t c) {
  return c < 0x20 || (c >= 0x7f && c <= 0x9f);
}

bool is_bidi_control(char32_t c) {
  return c == 0x061c || c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e) ||
         (c >= 0x2066 && c <= 0x2069);
}

// Characters kept as they are in the quoted `filename=` fallback.
bool is_fallback_safe(char32_t c) {
  return c >= 0x20 && c < 0x7f && std::u32string_view(U"\"\\/;%").find(c) == std::u32string_view::npos;
}

// The `filename=` fallback: one '_' per character (or invalid byte) that is unsafe.
std::string ascii_fallback(std::string_view name) {
  std::string out;
  while (!name.empty()) {
    auto cp = decode_utf8(name);
    std::size_t length = cp ? cp->length : 1;
    out += cp && is_fallback_safe(cp->value) ? static_cast<char>(cp->value) : '_';
    name.remove_prefix(length);
  }
  return out;
}

bool is_attr_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$&+-.^_`|~").find(c) != std::string_view::npos;
}

// RFC 8187 value-chars: attr-chars as they are, every other byte as %XX.
std::string percent_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    if (is_attr_char(c)) {
      out += c;
      continue;
    }
    auto b = static_cast<unsigned char>(c);
    out += '%';
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

// Whether every character of a valid UTF-8 name is allowed in an upload name.
bool allowed_name_characters(std::string_view name) {
  while (!name.empty()) {
    auto cp = decode_utf8(name);
    if (!cp || is_control(cp->value) || is_bidi_control(cp->value)) return false;
    name.remove_prefix(cp->length);
  }
  return true;
}

}  // namespace

std::optional<std::string> sniff_content_type(std::string_view first_bytes) {
  // ISO media first: an `ftyp` box of 256 bytes starts like an icon (00 00 01 00).
  if (auto media = sniff_iso_bmff(first_bytes)) return media;
  if (auto signature = sniff_signature(first_bytes)) return signature;
  if (auto structured = sniff_structured(first_bytes)) return structured;
  return sniff_markup(first_bytes);
}

std::optional<std::string> normalize_content_type(std::string_view header) {
  header = trim_ows(header);
  auto semicolon = std::min(header.find(';'), header.size());
  std::string_view media_type = trim_ows(header.substr(0, semicolon));
  auto slash = media_type.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::string_view type = media_type.substr(0, slash);
  std::string_view subtype = media_type.substr(slash + 1);
  // RFC 6838 limits each part to 127 characters; wildcards belong in Accept only.
  for (auto part : {type, subtype}) {
    if (!is_token(part) || part.size() > 127 || part == "*") return std::nullopt;
  }
  auto charset = find_charset(header.substr(semicolon));
  if (!charset) return std::nullopt;
  std::string normalised = to_lower_ascii(type) + "/" + to_lower_ascii(subtype);
  if (normalised.starts_with("text/") && is_token(*charset)) normalised += "; charset=" + *charset;
  return normalised;
}

std::string stored_content_type(const std::optional<std::string>& declared,
                                const std::optional<std::string>& sniffed) {
  if (!sniffed) return declared.value_or("application/octet-stream");
  if (!declared) return *sniffed;
  std::string declared_type = essence(*declared);
  std::string sniffed_type = essence(*sniffed);
  if (declared_type == sniffed_type || refines(declared_type, sniffed_type)) return *declared;
  return *sniffed;
}

bool thumbnailable(std::string_view content_type) {
  auto type = essence(content_type);
  return type == "image/png" || type == "image/jpeg" || type == "image/gif" || type == "image/webp";
}

// Only types a browser renders without running anything: raster images (BMP too, a
// plain bitmap), audio and video in containers browsers play, and text shown as
// text. SVG, HTML and XML can carry scripts that would run on our origin; PDF
// viewers run their own JavaScript and forms and have a long record of escaping
// sandboxes. Everything not listed downloads, which is always safe.
bool served_inline(std::string_view content_type) {
  static constexpr std::array kInline = {
      "image/png"sv, "image/jpeg"sv, "image/gif"sv,  "image/webp"sv,       "image/avif"sv,
      "image/bmp"sv, "video/mp4"sv,  "audio/mp4"sv,  "video/webm"sv,       "audio/webm"sv,
      "audio/ogg"sv, "video/ogg"sv,  "audio/mpeg"sv, "audio/wav"sv,        "audio/flac"sv,
      "audio/aac"sv, "text/plain"sv, "text/csv"sv,   "application/json"sv,
  };
  auto type = essence(content_type);
  return std::find(kInline.begin(), kInline.end(), type) != kInline.end();
}

std::string content_disposition(bool inline_disposition, std::string_view filename) {
  std::string header = inline_disposition ? "inline" : "attachment";
  if (filename.empty()) return header;
  std::string fallback = ascii_fallback(filename);
  header += "; filename=\"" + fallback + "\"";
  // Browsers prefer filename* when present, so the exact name survives.
  if (fallback != filename && is_valid_utf8(filename))
    header += "; filename*=UTF-8''" + percent_encode(filename);
  return header;
}

std::optional<std::string> clean_filename(std::string_view name) {
  if (name.empty() || !allowed_name_characters(name)) return std::nullopt;
  auto separator = name.find_last_of("/\\");
  if (separator != std::string_view::npos) name.remove_prefix(separator + 1);
  if (name.empty() || name.size() > 255 || name == "." || name == "..") return std::nullopt;
  return std::string(name);
}

// Media is served from the API's origin, so a document that ran anything could act
// as the user. `sandbox` (no allow-* flags) gives the response an opaque origin and
// disables scripts, forms, plugins, popups and top navigation even when a browser
// renders something unexpected; `default-src 'none'` forbids every fetch. Browsers
// show a directly opened image or video in a generated document that needs inline
// styles and the media itself, hence the only allowances: `style-src
// 'unsafe-inline'` and `img-src`/`media-src 'self'`. `base-uri`, `form-action` are
// not covered by default-src, so they are closed explicitly; `object-src 'none'`
// since nothing, PDF included, is shown through a plugin.
std::string_view media_csp() {
  return "sandbox; default-src 'none'; script-src 'none'; object-src 'none'; style-src 'unsafe-inline'; "
         "img-src 'self'; media-src 'self'; base-uri 'none'; form-action 'none'";
}

}  // namespace bartab::media
