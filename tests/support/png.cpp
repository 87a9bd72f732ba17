#include "support/png.hpp"

#include <array>

namespace bartab::testing {

namespace {

std::uint32_t crc32(const std::string& data) {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t n = 0; n < 256; ++n) {
      std::uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
      t[n] = c;
    }
    return t;
  }();
  std::uint32_t c = 0xffffffffu;
  for (unsigned char byte : data) c = table[(c ^ byte) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

std::uint32_t adler32(const std::string& data) {
  std::uint32_t a = 1, b = 0;
  for (unsigned char byte : data) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return (b << 16) | a;
}

void put32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xff);
}

std::string chunk(const std::string& type, const std::string& data) {
  std::string out;
  put32(out, static_cast<std::uint32_t>(data.size()));
  out += type + data;
  put32(out, crc32(type + data));
  return out;
}

std::string header(std::uint32_t width, std::uint32_t height) {
  std::string ihdr;
  put32(ihdr, width);
  put32(ihdr, height);
  ihdr += std::string("\x08\x02\x00\x00\x00", 5);  // 8-bit RGB, no interlace
  return std::string("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", ihdr);
}

// zlib stream of stored (uncompressed) deflate blocks.
std::string zlib_stored(const std::string& raw) {
  std::string out("\x78\x01", 2);
  std::size_t at = 0;
  do {
    auto n = std::min<std::size_t>(65535, raw.size() - at);
    bool last = at + n == raw.size();
    out += static_cast<char>(last ? 1 : 0);
    out += static_cast<char>(n & 0xff);
    out += static_cast<char>(n >> 8);
    out += static_cast<char>(~n & 0xff);
    out += static_cast<char>((~n >> 8) & 0xff);
    out.append(raw, at, n);
    at += n;
  } while (at < raw.size());
  put32(out, adler32(raw));
  return out;
}

}  // namespace

std::string make_png(std::uint32_t width, std::uint32_t height) {
  std::string raw;
  raw.reserve(static_cast<std::size_t>(height) * (1 + width * 3));
  for (std::uint32_t y = 0; y < height; ++y) {
    raw += '\0';  // filter: none
    for (std::uint32_t x = 0; x < width; ++x) {
      raw += static_cast<char>(x * 255 / (width ? width : 1));
      raw += static_cast<char>(y * 255 / (height ? height : 1));
      raw += static_cast<char>((x + y) & 0xff);
    }
  }
  return header(width, height) + chunk("IDAT", zlib_stored(raw)) + chunk("IEND", "");
}

std::string make_png_bomb(std::uint32_t width, std::uint32_t height) {
  std::string few_zeros("\x78\x9c\x63\x60\x00\x00\x00\x02\x00\x01", 10);  // a deflated zlib stream
  return header(width, height) + chunk("IDAT", few_zeros) + chunk("IEND", "");
}

std::pair<std::uint32_t, std::uint32_t> png_size(const std::string& png) {
  if (png.size() < 24 || png.compare(0, 8, std::string("\x89PNG\r\n\x1a\n", 8)) != 0) return {0, 0};
  auto read32 = [&](std::size_t at) {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(png[at + i]);
    return v;
  };
  return {read32(16), read32(20)};
}

}  // namespace bartab::testing
