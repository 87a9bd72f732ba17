// The benchmarks' source image: a 12-megapixel (4000x3000) JPEG at Q 90 with photo-like
// content (colour gradients under blurred noise), so the encoder and decoder work as
// hard as on a phone picture rather than on a flat colour that compresses to nothing.
#pragma once

#include <vips/vips.h>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

namespace bartab::bench {

constexpr int kSampleWidth = 4000;
constexpr int kSampleHeight = 3000;

namespace detail {

struct Unref {
  void operator()(VipsImage* image) const { g_object_unref(image); }
};
using Image = std::unique_ptr<VipsImage, Unref>;

// `image` by reference: read after the call that fills it, whatever the argument order.
inline Image checked(int status, VipsImage*& image) {
  if (status != 0) throw std::runtime_error(std::string("sample image: ") + vips_error_buffer());
  return Image(image);
}

}  // namespace detail

// Needs libvips started with the JPEG saver allowed (bartab::media::init_vips does both).
inline void write_sample_jpeg(const std::filesystem::path& path) {
  using detail::checked;
  VipsImage* out = nullptr;
  // Band 0 ramps left to right, band 1 top to bottom, band 2 is their mean.
  auto xy = checked(vips_xyz(&out, kSampleWidth, kSampleHeight, nullptr), out);
  double scale[] = {255.0 / kSampleWidth, 255.0 / kSampleHeight};
  double offset[] = {0.0, 0.0};
  auto ramps = checked(vips_linear(xy.get(), &out, scale, offset, 2, nullptr), out);
  auto mean = checked(vips_bandmean(ramps.get(), &out, nullptr), out);
  auto rgb = checked(vips_bandjoin2(ramps.get(), mean.get(), &out, nullptr), out);
  // Grain a little coarser than one pixel, like sensor noise after demosaicing.
  auto noise =
      checked(vips_gaussnoise(&out, kSampleWidth, kSampleHeight, "sigma", 40.0, "mean", 0.0, nullptr), out);
  auto grain = checked(vips_gaussblur(noise.get(), &out, 0.8, nullptr), out);
  auto photo = checked(vips_add(rgb.get(), grain.get(), &out, nullptr), out);
  auto pixels = checked(vips_cast_uchar(photo.get(), &out, nullptr), out);
  if (vips_jpegsave(pixels.get(), path.c_str(), "Q", 90, nullptr) != 0)
    throw std::runtime_error(std::string("sample image: ") + vips_error_buffer());
}

}  // namespace bartab::bench
