// The libvips thumbnailer: a locked-down libvips (init_vips), a header-only probe that
// names the format from the loader libvips chose, and vips_thumbnail for the pixels.
#include "services/media/service/thumbnailer.hpp"

#include <spdlog/spdlog.h>
#include <vips/vips.h>

#include <array>
#include <cstdlib>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>

#include "services/media/service/vips_library.hpp"

namespace bartab::media {

namespace {

using Kind = ThumbnailError::Kind;

// JPEG quality of thumbnails: visually clean at thumbnail sizes, a third of Q 95's bytes.
constexpr int kJpegQuality = 80;
constexpr int kWebpQuality = 80;

// The only loaders and savers this process may run. File variants only: the service
// always works on files it stored, and every buffer or source variant left blocked is
// one less parser an upload can reach. Both PNG class names are listed because libvips
// builds its PNG loader and saver on libspng when it has it and on libpng otherwise.
constexpr std::array kAllowedOperations = {
    "VipsForeignLoadJpegFile",  "VipsForeignLoadPngFile",  "VipsForeignLoadSpngFile",
    "VipsForeignLoadNsgifFile", "VipsForeignLoadWebpFile", "VipsForeignSaveJpegFile",
    "VipsForeignSavePngFile",   "VipsForeignSaveSpngFile", "VipsForeignSaveWebpFile",
};

// Owns one reference to a VipsImage, so every path out of a function drops it.
class ImageRef {
 public:
  ImageRef() = default;
  explicit ImageRef(VipsImage* image) : image_(image) {}
  ~ImageRef() { reset(); }
  ImageRef(const ImageRef&) = delete;
  ImageRef& operator=(const ImageRef&) = delete;

  VipsImage* get() const { return image_; }
  // For libvips' VipsImage** out-parameters.
  VipsImage** out() {
    reset();
    return &image_;
  }
  explicit operator bool() const { return image_ != nullptr; }

 private:
  void reset() {
    if (image_ != nullptr) vips_library().object_unref(image_);
    image_ = nullptr;
  }

  VipsImage* image_ = nullptr;
};

// libvips keeps one error buffer for the whole process; take its text and clear it so
// the next failure does not repeat this one.
std::string take_vips_error() {
  char* copy = vips_library().error_buffer_copy();  // copies and clears
  std::string text = copy != nullptr ? copy : "";
  vips_library().free(copy);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

[[noreturn]] void throw_vips_error(Kind kind, std::string_view what) {
  std::string text = take_vips_error();
  if (text.empty()) throw ThumbnailError(kind, std::string(what));
  throw ThumbnailError(kind, std::string(what) + ": " + text);
}

// The format behind a loader's nickname (the `vips-loader` metadata). Anything else is
// not one of ours, even if some loader could read it.
std::optional<ImageFormat> format_of_loader(std::string_view loader) {
  if (loader == "jpegload") return ImageFormat::jpeg;
  if (loader == "pngload") return ImageFormat::png;
  if (loader == "gifload") return ImageFormat::gif;
  if (loader == "webpload") return ImageFormat::webp;
  return std::nullopt;
}

// libvips reads a trailing "[...]" in a file name as loader options; a stored file never
// has one, so such a name is refused rather than handed to libvips.
bool has_option_suffix(const std::filesystem::path& file) {
  const std::string& name = file.native();
  return !name.empty() && name.back() == ']';
}

struct Header {
  std::optional<ImageInfo> info;
  std::string error;  // why info is empty
};

// Opens `file` lazily: with sequential access libvips reads the header now and decodes
// pixels only when they are asked for, which this never does.
Header read_header(const std::filesystem::path& file) {
  if (has_option_suffix(file)) return {std::nullopt, "file name ends in ']'"};
  ImageRef image(vips_library().image_new_from_file(file.c_str(), "access", VIPS_ACCESS_SEQUENTIAL, nullptr));
  if (!image) {
    std::string text = take_vips_error();
    return {std::nullopt, text.empty() ? "unreadable" : text};
  }
  const char* loader = nullptr;
  if (vips_library().image_get_string(image.get(), VIPS_META_LOADER, &loader) != 0) {
    vips_library().error_clear();
    return {std::nullopt, "no loader recorded"};
  }
  auto format = format_of_loader(loader);
  if (!format) return {std::nullopt, std::string("not PNG, JPEG, GIF or WebP (") + loader + ")"};
  ImageInfo info{*format, static_cast<std::uint32_t>(vips_library().image_get_width(image.get())),
                 static_cast<std::uint32_t>(vips_library().image_get_height(image.get())),
                 static_cast<std::uint32_t>(vips_library().image_get_n_pages(image.get())), false};
  int interlaced = 0;
  if (vips_library().image_get_typeof(image.get(), "interlaced") != 0 &&
      vips_library().image_get_int(image.get(), "interlaced", &interlaced) == 0) {
    info.interlaced = interlaced != 0;
  }
  return {info, {}};
}

// The thumbnail's format: JPEG and WebP keep theirs; PNG and GIF become PNG, which
// keeps a GIF's transparency and needs no palette quantisation.
ImageFormat output_format(ImageFormat source) {
  if (source == ImageFormat::jpeg || source == ImageFormat::webp) return source;
  return ImageFormat::png;
}

int save(VipsImage* image, const std::filesystem::path& out, ImageFormat format) {
  if (format == ImageFormat::jpeg)
    return vips_library().jpegsave(image, out.c_str(), "Q", kJpegQuality, "strip", TRUE, "optimize_coding",
                                   TRUE, nullptr);
  if (format == ImageFormat::webp)
    return vips_library().webpsave(image, out.c_str(), "Q", kWebpQuality, "strip", TRUE, nullptr);
  return vips_library().pngsave(image, out.c_str(), "strip", TRUE, nullptr);
}

constexpr const char* kNoModules = "/nonexistent/bartab-loads-no-vips-modules";

void set_up_vips() {
  // A process that did not call keep_vips_modules_out while it had one thread (tests,
  // benchmarks) gets it here.
  if (std::getenv("VIPSHOME") == nullptr) ::setenv("VIPSHOME", kNoModules, 1);
  if (vips_library().init("bartab") != 0)
    throw std::runtime_error("libvips failed to start: " + take_vips_error());
  // Untrusted loaders (SVG, PDF, Magick, ...) are blocked by libvips' own list; the
  // allowlist below also blocks the trusted ones we do not need (TIFF, HEIF, matrix).
  vips_library().block_untrusted_set(TRUE);
  vips_library().operation_block_set("VipsForeignLoad", TRUE);
  vips_library().operation_block_set("VipsForeignSave", TRUE);
  for (const char* name : kAllowedOperations) vips_library().operation_block_set(name, FALSE);
  // The cache would keep decoded images and open files alive between requests, and a
  // cached result could outlive a change to the file on disk.
  vips_library().cache_set_max(0);
  // One worker per pipeline: thumbnails run on the media service's small pool, so
  // parallelism comes from concurrent requests, and a 12 MP JPEG is decoded by libjpeg
  // on one thread anyway (shrink-on-load). More workers would multiply per-thread
  // buffers by the number of concurrent requests for little gain in latency.
  vips_library().concurrency_set(1);
  // libvips reports damaged files as GLib warnings on stderr; route them to the log.
  vips_library().log_set_handler(
      "VIPS", static_cast<GLogLevelFlags>(G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO),
      [](const gchar*, GLogLevelFlags level, const gchar* message, gpointer) {
        if (level & G_LOG_LEVEL_WARNING) {
          spdlog::warn("libvips: {}", message);
          return;
        }
        spdlog::debug("libvips: {}", message);
      },
      nullptr);
}

}  // namespace

void keep_vips_modules_out() {
  ::setenv("VIPSHOME", kNoModules, 1);
}

bool decodes_whole_canvas(const ImageInfo& info) {
  return info.format == ImageFormat::gif || (info.format == ImageFormat::png && info.interlaced);
}

const char* content_type(ImageFormat format) {
  switch (format) {
    case ImageFormat::png:
      return "image/png";
    case ImageFormat::jpeg:
      return "image/jpeg";
    case ImageFormat::gif:
      return "image/gif";
    case ImageFormat::webp:
      return "image/webp";
  }
  return "application/octet-stream";
}

void init_vips() {
  static std::once_flag once;
  std::call_once(once, set_up_vips);
}

Thumbnailer::Thumbnailer(ThumbnailerOptions options) : options_(options) {}

std::optional<ImageInfo> Thumbnailer::probe(const std::filesystem::path& file) const {
  init_vips();
  return read_header(file).info;
}

void Thumbnailer::check_size(std::uint32_t width, std::uint32_t height) const {
  if (width == 0 || height == 0) throw ThumbnailError(Kind::bad_size, "thumbnail size must be at least 1x1");
  if (width > options_.max_dimension || height > options_.max_dimension)
    throw ThumbnailError(Kind::bad_size,
                         "thumbnail size above " + std::to_string(options_.max_dimension) + " pixels");
}

Thumbnail Thumbnailer::make(const std::filesystem::path& source, const std::filesystem::path& out,
                            std::uint32_t width, std::uint32_t height, FitMethod method) const {
  init_vips();
  check_size(width, height);
  Header header = read_header(source);
  if (!header.info) throw ThumbnailError(Kind::not_image, "not an image: " + header.error);
  const ImageInfo& info = *header.info;
  // Before any pixel is decoded: a small file can claim a canvas of gigabytes.
  std::uint64_t pixels = std::uint64_t{info.width} * info.height;
  auto limit = decodes_whole_canvas(info) ? std::min(options_.max_pixels, options_.max_whole_canvas_pixels)
                                          : options_.max_pixels;
  if (pixels > limit)
    throw ThumbnailError(Kind::too_large, "image of " + std::to_string(info.width) + "x" +
                                              std::to_string(info.height) + " pixels is too large");

  // vips_thumbnail opens the file again so it can shrink on load (JPEG, WebP); it reads
  // only the first frame of an animation. fail_on=truncated: a cut-off upload is an
  // error, not a thumbnail with a grey bottom half.
  VipsInteresting crop = method == FitMethod::crop ? VIPS_INTERESTING_CENTRE : VIPS_INTERESTING_NONE;
  ImageRef thumb;
  if (vips_library().thumbnail(source.c_str(), thumb.out(), static_cast<int>(width), "height",
                               static_cast<int>(height), "size", VIPS_SIZE_DOWN, "crop", crop, "fail_on",
                               VIPS_FAIL_ON_TRUNCATED, nullptr) != 0)
    throw_vips_error(Kind::failed, "thumbnail failed");

  ImageFormat format = output_format(info.format);
  // Pixels are decoded here: libvips runs the whole pipeline as the saver pulls on it.
  if (save(thumb.get(), out, format) != 0) {
    // The saver may have written part of a file before the decoder gave up.
    std::error_code ignored;
    std::filesystem::remove(out, ignored);
    throw_vips_error(Kind::failed, "thumbnail failed");
  }
  return Thumbnail{format, static_cast<std::uint32_t>(vips_library().image_get_width(thumb.get())),
                   static_cast<std::uint32_t>(vips_library().image_get_height(thumb.get())),
                   content_type(format)};
}

}  // namespace bartab::media
