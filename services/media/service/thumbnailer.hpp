// Thumbnails of uploaded images through libvips: a header-only probe, and a bounded
// resize or centre crop of PNG, JPEG, GIF and WebP. Every other format is refused, and
// libvips itself is locked down (init_vips) so no other loader can run in this process.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

namespace bartab::media {

enum class ImageFormat { png, jpeg, gif, webp };

struct ImageInfo {
  ImageFormat format = ImageFormat::png;
  std::uint32_t width = 0;   // of one frame
  std::uint32_t height = 0;  // of one frame
  std::uint32_t pages = 1;   // frames of an animated GIF or WebP
  bool interlaced = false;   // an interlaced (Adam7) PNG
};

// GIF and interlaced PNG decoders hold the whole canvas in memory (measured: about 6
// and 3.3 bytes per pixel), where JPEG, WebP and plain PNG stream through a few lines.
bool decodes_whole_canvas(const ImageInfo& info);

enum class FitMethod { scale, crop };

struct ThumbnailerOptions {
  std::uint64_t max_pixels = 50'000'000;  // width*height of the (first) frame; more is a decompression bomb
  std::uint32_t max_dimension = 2048;     // largest W or H a caller may ask for
  // The lower cap for images that decode_whole_canvas: 12 MP keeps one decode of them
  // under DESIGN.md's 100 MB.
  std::uint64_t max_whole_canvas_pixels = 12'000'000;
};

class ThumbnailError : public std::runtime_error {
 public:
  enum class Kind { not_image, too_large, bad_size, failed };

  ThumbnailError(Kind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

struct Thumbnail {
  ImageFormat format = ImageFormat::png;
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::string content_type;  // of the written file: image/png, image/jpeg or image/webp
};

// "image/png", "image/jpeg", "image/gif" or "image/webp".
const char* content_type(ImageFormat format);

// Stateless apart from its options: one instance may serve many threads at once.
class Thumbnailer {
 public:
  // libvips starts (init_vips) on the first probe or thumbnail, so a server that never
  // sees an image never pays for it.
  explicit Thumbnailer(ThumbnailerOptions options = {});

  // Header-only read (no pixel decode) of an image file; nullopt when it is not a PNG,
  // JPEG, GIF or WebP that the allowed loaders can read.
  std::optional<ImageInfo> probe(const std::filesystem::path& file) const;

  // Writes a thumbnail of `source` no larger than width x height to `out`.
  // scale: keep aspect ratio, fit inside the box, never upscale.
  // crop: fill the box and centre-crop to exactly min(width, source width) x
  // min(height, source height) (never upscale).
  // Output format: JPEG for JPEG sources, WebP for WebP, PNG for PNG and GIF; animated
  // GIF and WebP give their first frame. Metadata is stripped.
  // Throws ThumbnailError: bad_size (width or height 0 or above max_dimension),
  // not_image (not one of the four formats, or unreadable), too_large (the header's
  // pixel count is above max_pixels, checked before any pixel is decoded), failed
  // (libvips error while decoding or encoding, e.g. a truncated file).
  Thumbnail make(const std::filesystem::path& source, const std::filesystem::path& out, std::uint32_t width,
                 std::uint32_t height, FitMethod method) const;

  const ThumbnailerOptions& options() const { return options_; }

 private:
  void check_size(std::uint32_t width, std::uint32_t height) const;

  ThumbnailerOptions options_;
};

// One-time process-wide libvips set-up (idempotent, thread-safe): starts libvips, blocks
// untrusted operations, then blocks every loader and saver but the PNG, JPEG, GIF and
// WebP file loaders and the PNG, JPEG and WebP file savers; disables the operation
// cache and limits libvips' worker threads. Throws std::runtime_error if libvips fails
// to start.
void init_vips();

// libvips loads its optional modules (ImageMagick, poppler, HEIF, JPEG XL, OpenSlide)
// from VIPSHOME's lib folder when it starts. They hold only loaders we block anyway,
// and loading them costs 25 ms and 7 MB. This points VIPSHOME where there are none, so
// their code never enters the process. It changes the environment: call it while the
// process has no other thread that might read it (the media module does, when mounted).
void keep_vips_modules_out();

}  // namespace bartab::media
