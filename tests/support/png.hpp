// Writes real PNG files without an image library (zlib "stored" blocks, so no
// compressor is needed): test images for the media service, and images whose header
// lies about their size (decompression bombs).
#pragma once

#include <cstdint>
#include <string>

namespace bartab::testing {

// A width x height RGB image with a gradient, as a valid PNG.
std::string make_png(std::uint32_t width, std::uint32_t height);

// A PNG of under 100 bytes whose header claims width x height: a decoder that trusts
// the header before checking it would allocate for all of it (a decompression bomb).
std::string make_png_bomb(std::uint32_t width, std::uint32_t height);

// The width and height in a PNG's header (0, 0 when it is not a PNG).
std::pair<std::uint32_t, std::uint32_t> png_size(const std::string& png);

}  // namespace bartab::testing
