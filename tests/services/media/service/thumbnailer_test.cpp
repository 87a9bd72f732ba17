// Thumbnailer tests: probe and thumbnails of each format, sizes and fit methods, output
// formats, decompression bombs, non-images and broken files, and libvips' allowlist.
// Images are generated with libvips itself (through the savers the allowlist keeps),
// except GIFs (embedded bytes) and files crafted byte by byte.
#include "services/media/service/thumbnailer.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <vips/vips.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "support/png.hpp"
#include "support/temp_dir.hpp"

namespace bartab::media {
namespace {

namespace fs = std::filesystem;
using Kind = ThumbnailError::Kind;

struct Unref {
  void operator()(VipsImage* image) const { g_object_unref(image); }
};
using Image = std::unique_ptr<VipsImage, Unref>;

// Fails the test with libvips' message when a generator step fails. `image` by
// reference: it is read after the call that fills it, whatever the argument order.
Image checked(int status, VipsImage*& image) {
  if (status != 0) {
    ADD_FAILURE() << vips_error_buffer();
    vips_error_clear();
  }
  return Image(image);
}

// A width x height RGB image that is not a flat colour: noise in the red band.
Image pattern(int width, int height) {
  VipsImage* noise = nullptr;
  Image grey = checked(vips_gaussnoise(&noise, width, height, "mean", 128.0, "sigma", 40.0, nullptr), noise);
  VipsImage* bytes = nullptr;
  Image red = checked(vips_cast_uchar(grey.get(), &bytes, nullptr), bytes);  // not float: see animation()
  VipsImage* rgb = nullptr;
  double green_blue[] = {128.0, 64.0};
  return checked(vips_bandjoin_const(red.get(), &rgb, green_blue, 2, nullptr), rgb);
}

// `pages` flat frames stacked vertically, an animation to libvips' savers: frame i is
// grey level 120 * i, so frames differ (libwebp merges equal ones) and the first is black.
Image animation(int width, int height, int pages) {
  std::vector<Image> frames;
  std::vector<VipsImage*> raw;
  for (int i = 0; i < pages; ++i) {
    VipsImage* black = nullptr;
    Image base = checked(vips_black(&black, width, height, "bands", 3, nullptr), black);
    VipsImage* grey = nullptr;
    Image level = checked(vips_linear1(base.get(), &grey, 1.0, 120.0 * i, nullptr), grey);
    // To 8 bits: savers read float RGB as scRGB (0 to 1), which would make every frame white.
    VipsImage* bytes = nullptr;
    frames.push_back(checked(vips_cast_uchar(level.get(), &bytes, nullptr), bytes));
    raw.push_back(frames.back().get());
  }
  VipsImage* joined = nullptr;
  Image tall = checked(vips_arrayjoin(raw.data(), &joined, pages, "across", 1, nullptr), joined);
  VipsImage* copy = nullptr;
  Image out = checked(vips_copy(tall.get(), &copy, nullptr), copy);
  vips_image_set_int(out.get(), "page-height", height);
  std::vector<int> delays(pages, 100);
  vips_image_set_array_int(out.get(), "delay", delays.data(), pages);
  return out;
}

// The mean of band 0 of an image file: 0 for black, 255 for white.
double red_mean(const fs::path& path) {
  Image image(vips_image_new_from_file(path.c_str(), nullptr));
  if (!image) {
    ADD_FAILURE() << vips_error_buffer();
    vips_error_clear();
    return -1;
  }
  VipsImage* red = nullptr;
  Image band = checked(vips_extract_band(image.get(), &red, 0, nullptr), red);
  double mean = -1;
  if (vips_avg(band.get(), &mean, nullptr) != 0) ADD_FAILURE() << vips_error_buffer();
  return mean;
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

template <std::size_t N>
std::string bytes_of(const std::array<unsigned char, N>& data) {
  return {reinterpret_cast<const char*>(data.data()), data.size()};
}

// A 3x2 GIF89a, as libvips' cgif saver writes it.
constexpr std::array<unsigned char, 62> kGif3x2 = {
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x03, 0x00, 0x02, 0x00, 0x80, 0x00, 0x00, 0x47, 0x70, 0x4c,
    0xff, 0xff, 0xff, 0x21, 0xff, 0x0b, 0x4e, 0x45, 0x54, 0x53, 0x43, 0x41, 0x50, 0x45, 0x32, 0x2e,
    0x30, 0x03, 0x01, 0x00, 0x00, 0x00, 0x21, 0xf9, 0x04, 0x05, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00,
    0x00, 0x00, 0x00, 0x03, 0x00, 0x02, 0x00, 0x00, 0x02, 0x02, 0x8c, 0x5f, 0x00, 0x3b};

// A 4x3 animated GIF of two frames: black, then white.
constexpr std::array<unsigned char, 93> kAnimatedGif4x3 = {
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x04, 0x00, 0x03, 0x00, 0x80, 0x00, 0x00, 0x47, 0x70, 0x4c,
    0x00, 0x00, 0x00, 0x21, 0xff, 0x0b, 0x4e, 0x45, 0x54, 0x53, 0x43, 0x41, 0x50, 0x45, 0x32, 0x2e,
    0x30, 0x03, 0x01, 0x00, 0x00, 0x00, 0x21, 0xf9, 0x04, 0x05, 0x0a, 0x00, 0x00, 0x00, 0x2c, 0x00,
    0x00, 0x00, 0x00, 0x04, 0x00, 0x03, 0x00, 0x00, 0x02, 0x03, 0x8c, 0x8f, 0x56, 0x00, 0x21, 0xf9,
    0x04, 0x05, 0x0a, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x03, 0x00, 0x80,
    0x47, 0x70, 0x4c, 0xff, 0xff, 0xff, 0x02, 0x03, 0x8c, 0x8f, 0x56, 0x00, 0x3b};

// A 2x1 24-bit BMP: a format libvips reads only through ImageMagick.
std::string bmp_2x1() {
  auto le32 = [](std::uint32_t v) {
    return std::string{static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16),
                       static_cast<char>(v >> 24)};
  };
  auto le16 = [](std::uint16_t v) { return std::string{static_cast<char>(v), static_cast<char>(v >> 8)}; };
  std::string pixels("\x00\x00\xff\x00\xff\x00\x00\x00", 8);  // two pixels, padded to 4 bytes
  std::string dib = le32(40) + le32(2) + le32(1) + le16(1) + le16(24) + le32(0) + le32(8) + le32(2835) +
                    le32(2835) + le32(0) + le32(0);
  return "BM" + le32(14 + 40 + 8) + le32(0) + le32(14 + 40) + dib + pixels;
}

bool starts_with(const std::string& bytes, const std::string& prefix) {
  return bytes.compare(0, prefix.size(), prefix) == 0;
}

bool is_blocked(const char* type_name) {
  GType type = g_type_from_name(type_name);
  if (type == 0) return false;
  auto* operation_class = static_cast<VipsOperationClass*>(g_type_class_ref(type));
  bool blocked = (operation_class->flags & VIPS_OPERATION_BLOCKED) != 0;
  g_type_class_unref(operation_class);
  return blocked;
}

// True when libvips can read `file` once `loader` is unblocked: proves a refused test
// file is a valid file of that format, refused by the allowlist alone.
bool loads_when_unblocked(const char* loader, const fs::path& file) {
  vips_operation_block_set(loader, FALSE);
  Image image(vips_image_new_from_file(file.c_str(), "access", VIPS_ACCESS_SEQUENTIAL, nullptr));
  vips_operation_block_set(loader, TRUE);
  vips_error_clear();
  return image != nullptr;
}

class ThumbnailerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { init_vips(); }

  fs::path file(const std::string& name) const { return dir_.path() / name; }

  fs::path save_png(const std::string& name, int width, int height) const {
    Image image = pattern(width, height);
    EXPECT_EQ(vips_pngsave(image.get(), file(name).c_str(), nullptr), 0) << vips_error_buffer();
    return file(name);
  }

  fs::path save_jpeg(const std::string& name, int width, int height) const {
    Image image = pattern(width, height);
    EXPECT_EQ(vips_jpegsave(image.get(), file(name).c_str(), "Q", 90, nullptr), 0) << vips_error_buffer();
    return file(name);
  }

  fs::path save_webp(const std::string& name, int width, int height) const {
    Image image = pattern(width, height);
    EXPECT_EQ(vips_webpsave(image.get(), file(name).c_str(), nullptr), 0) << vips_error_buffer();
    return file(name);
  }

  fs::path save_animated_webp(const std::string& name, int width, int height, int pages) const {
    Image frames = animation(width, height, pages);
    EXPECT_EQ(vips_webpsave(frames.get(), file(name).c_str(), nullptr), 0) << vips_error_buffer();
    return file(name);
  }

  fs::path save_bytes(const std::string& name, const std::string& bytes) const {
    write_bytes(file(name), bytes);
    return file(name);
  }

  // The kind of ThumbnailError make() throws, or nullopt when it succeeds.
  std::optional<Kind> make_error(const fs::path& source, std::uint32_t width = 64, std::uint32_t height = 64,
                                 FitMethod method = FitMethod::scale) const {
    try {
      thumbnailer_.make(source, file("out"), width, height, method);
      return std::nullopt;
    } catch (const ThumbnailError& e) {
      EXPECT_NE(std::string(e.what()), "");
      return e.kind();
    }
  }

  testing::TempDir dir_;
  Thumbnailer thumbnailer_;
};

TEST_F(ThumbnailerTest, ProbeReadsEachFormat) {
  auto png = thumbnailer_.probe(save_png("a.png", 300, 200));
  ASSERT_TRUE(png);
  EXPECT_EQ(png->format, ImageFormat::png);
  EXPECT_EQ(png->width, 300u);
  EXPECT_EQ(png->height, 200u);
  EXPECT_EQ(png->pages, 1u);

  auto jpeg = thumbnailer_.probe(save_jpeg("a.jpg", 640, 480));
  ASSERT_TRUE(jpeg);
  EXPECT_EQ(jpeg->format, ImageFormat::jpeg);
  EXPECT_EQ(jpeg->width, 640u);
  EXPECT_EQ(jpeg->height, 480u);

  auto webp = thumbnailer_.probe(save_webp("a.webp", 120, 90));
  ASSERT_TRUE(webp);
  EXPECT_EQ(webp->format, ImageFormat::webp);
  EXPECT_EQ(webp->width, 120u);
  EXPECT_EQ(webp->height, 90u);

  auto gif = thumbnailer_.probe(save_bytes("a.gif", bytes_of(kGif3x2)));
  ASSERT_TRUE(gif);
  EXPECT_EQ(gif->format, ImageFormat::gif);
  EXPECT_EQ(gif->width, 3u);
  EXPECT_EQ(gif->height, 2u);
  EXPECT_EQ(gif->pages, 1u);
}

TEST_F(ThumbnailerTest, ProbeCountsFramesOfAnimations) {
  auto gif = thumbnailer_.probe(save_bytes("anim.gif", bytes_of(kAnimatedGif4x3)));
  ASSERT_TRUE(gif);
  EXPECT_EQ(gif->width, 4u);
  EXPECT_EQ(gif->height, 3u);  // one frame, not the stack
  EXPECT_EQ(gif->pages, 2u);

  auto webp = thumbnailer_.probe(save_animated_webp("anim.webp", 40, 30, 3));
  ASSERT_TRUE(webp);
  EXPECT_EQ(webp->width, 40u);
  EXPECT_EQ(webp->height, 30u);
  EXPECT_EQ(webp->pages, 3u);
}

TEST_F(ThumbnailerTest, ScaleKeepsAspectRatioInsideTheBox) {
  fs::path wide = save_jpeg("wide.jpg", 640, 480);
  Thumbnail t = thumbnailer_.make(wide, file("t1"), 320, 320, FitMethod::scale);
  EXPECT_EQ(t.width, 320u);
  EXPECT_EQ(t.height, 240u);
  t = thumbnailer_.make(wide, file("t2"), 100, 100, FitMethod::scale);
  EXPECT_EQ(t.width, 100u);
  EXPECT_EQ(t.height, 75u);

  fs::path tall = save_png("tall.png", 300, 600);
  t = thumbnailer_.make(tall, file("t3"), 100, 100, FitMethod::scale);
  EXPECT_EQ(t.width, 50u);
  EXPECT_EQ(t.height, 100u);
  // What was written is what was reported.
  auto written = thumbnailer_.probe(file("t3"));
  ASSERT_TRUE(written);
  EXPECT_EQ(written->width, 50u);
  EXPECT_EQ(written->height, 100u);
}

TEST_F(ThumbnailerTest, ScaleNeverUpscales) {
  Thumbnail t = thumbnailer_.make(save_webp("small.webp", 120, 90), file("t"), 1000, 1000, FitMethod::scale);
  EXPECT_EQ(t.width, 120u);
  EXPECT_EQ(t.height, 90u);
}

TEST_F(ThumbnailerTest, CropFillsTheBoxExactly) {
  Thumbnail t = thumbnailer_.make(save_jpeg("a.jpg", 640, 480), file("t1"), 96, 96, FitMethod::crop);
  EXPECT_EQ(t.width, 96u);
  EXPECT_EQ(t.height, 96u);
  t = thumbnailer_.make(file("a.jpg"), file("t2"), 200, 50, FitMethod::crop);
  EXPECT_EQ(t.width, 200u);
  EXPECT_EQ(t.height, 50u);
  auto written = thumbnailer_.probe(file("t2"));
  ASSERT_TRUE(written);
  EXPECT_EQ(written->width, 200u);
  EXPECT_EQ(written->height, 50u);
}

TEST_F(ThumbnailerTest, CropNeverUpscales) {
  // Smaller than the box both ways: unchanged.
  Thumbnail t = thumbnailer_.make(save_png("small.png", 40, 30), file("t1"), 96, 96, FitMethod::crop);
  EXPECT_EQ(t.width, 40u);
  EXPECT_EQ(t.height, 30u);
  // Smaller one way: min(box, source) on each side.
  t = thumbnailer_.make(save_png("strip.png", 200, 50), file("t2"), 96, 96, FitMethod::crop);
  EXPECT_EQ(t.width, 96u);
  EXPECT_EQ(t.height, 50u);
}

TEST_F(ThumbnailerTest, OutputFormatFollowsTheSource) {
  Thumbnail jpeg = thumbnailer_.make(save_jpeg("a.jpg", 64, 48), file("jpeg.out"), 32, 32, FitMethod::scale);
  EXPECT_EQ(jpeg.format, ImageFormat::jpeg);
  EXPECT_EQ(jpeg.content_type, "image/jpeg");
  EXPECT_TRUE(starts_with(read_bytes(file("jpeg.out")), "\xff\xd8\xff"));

  Thumbnail png = thumbnailer_.make(save_png("a.png", 64, 48), file("png.out"), 32, 32, FitMethod::scale);
  EXPECT_EQ(png.format, ImageFormat::png);
  EXPECT_EQ(png.content_type, "image/png");
  EXPECT_TRUE(starts_with(read_bytes(file("png.out")), "\x89PNG\r\n\x1a\n"));

  Thumbnail webp = thumbnailer_.make(save_webp("a.webp", 64, 48), file("webp.out"), 32, 32, FitMethod::crop);
  EXPECT_EQ(webp.format, ImageFormat::webp);
  EXPECT_EQ(webp.content_type, "image/webp");
  std::string webp_bytes = read_bytes(file("webp.out"));
  EXPECT_TRUE(starts_with(webp_bytes, "RIFF"));
  EXPECT_EQ(webp_bytes.substr(8, 4), "WEBP");

  Thumbnail gif =
      thumbnailer_.make(save_bytes("a.gif", bytes_of(kGif3x2)), file("gif.out"), 32, 32, FitMethod::scale);
  EXPECT_EQ(gif.format, ImageFormat::png);
  EXPECT_EQ(gif.content_type, "image/png");
  EXPECT_EQ(gif.width, 3u);
  EXPECT_EQ(gif.height, 2u);
  EXPECT_TRUE(starts_with(read_bytes(file("gif.out")), "\x89PNG\r\n\x1a\n"));
}

TEST_F(ThumbnailerTest, AnimationsGiveTheirFirstFrame) {
  fs::path gif = save_bytes("anim.gif", bytes_of(kAnimatedGif4x3));
  Thumbnail t = thumbnailer_.make(gif, file("gif.png"), 64, 64, FitMethod::scale);
  EXPECT_EQ(t.width, 4u);
  EXPECT_EQ(t.height, 3u);
  EXPECT_LT(red_mean(file("gif.png")), 10.0);  // the first frame is black, the second white

  fs::path webp = save_animated_webp("anim.webp", 40, 30, 3);
  t = thumbnailer_.make(webp, file("webp.out"), 20, 20, FitMethod::crop);
  EXPECT_EQ(t.format, ImageFormat::webp);
  EXPECT_EQ(t.width, 20u);
  EXPECT_EQ(t.height, 20u);
  auto written = thumbnailer_.probe(file("webp.out"));
  ASSERT_TRUE(written);
  EXPECT_EQ(written->pages, 1u);
  EXPECT_LT(red_mean(file("webp.out")), 10.0);
}

TEST_F(ThumbnailerTest, PixelBombIsRefusedBeforeDecoding) {
  fs::path bomb = save_bytes("bomb.png", testing::make_png_bomb(30000, 30000));  // 900 MP, 2.7 GB of RGB
  EXPECT_LT(fs::file_size(bomb), 100u);
  auto info = thumbnailer_.probe(bomb);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->width, 30000u);
  EXPECT_EQ(info->height, 30000u);

  rusage before{};
  ::getrusage(RUSAGE_SELF, &before);
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(make_error(bomb), Kind::too_large);
  auto elapsed = std::chrono::steady_clock::now() - start;
  rusage after{};
  ::getrusage(RUSAGE_SELF, &after);
  // Decoding 900 MP would take seconds and gigabytes; a header read takes neither.
  EXPECT_LT(elapsed, std::chrono::seconds(1));
  EXPECT_LT(after.ru_maxrss - before.ru_maxrss, 50 * 1024);  // KiB
  EXPECT_FALSE(fs::exists(file("out")));
}

TEST_F(ThumbnailerTest, JpegBombIsRefused) {
  std::string jpeg = read_bytes(save_jpeg("a.jpg", 64, 48));
  // Rewrite the frame header (SOF0: FF C0, length, precision, height, width) to claim
  // 60000x60000 pixels.
  auto sof = jpeg.find("\xff\xc0");
  ASSERT_NE(sof, std::string::npos);
  jpeg.replace(sof + 5, 4, std::string("\xea\x60\xea\x60", 4));
  EXPECT_EQ(make_error(save_bytes("bomb.jpg", jpeg)), Kind::too_large);
}

TEST_F(ThumbnailerTest, MaxPixelsIsInclusive) {
  fs::path jpeg = save_jpeg("a.jpg", 100, 50);
  Thumbnailer exact({.max_pixels = 5000});
  EXPECT_NO_THROW(exact.make(jpeg, file("t"), 10, 10, FitMethod::scale));
  Thumbnailer below({.max_pixels = 4999});
  try {
    below.make(jpeg, file("t"), 10, 10, FitMethod::scale);
    ADD_FAILURE() << "no error";
  } catch (const ThumbnailError& e) {
    EXPECT_EQ(e.kind(), Kind::too_large);
  }
}

// Interlaced PNGs (and GIFs) are decoded whole, so they meet the lower cap; the same
// pixels in a plain PNG stream through and pass.
TEST_F(ThumbnailerTest, WholeCanvasDecodersMeetTheLowerPixelCap) {
  Thumbnailer capped({.max_pixels = 5000, .max_whole_canvas_pixels = 1000});
  Image image = pattern(50, 40);
  ASSERT_EQ(vips_pngsave(image.get(), file("plain.png").c_str(), nullptr), 0) << vips_error_buffer();
  ASSERT_EQ(vips_pngsave(image.get(), file("adam7.png").c_str(), "interlace", TRUE, nullptr), 0);
  auto plain = capped.probe(file("plain.png"));
  auto adam7 = capped.probe(file("adam7.png"));
  ASSERT_TRUE(plain && adam7);
  EXPECT_FALSE(plain->interlaced);
  EXPECT_TRUE(adam7->interlaced);
  EXPECT_TRUE(decodes_whole_canvas(*adam7));
  EXPECT_NO_THROW(capped.make(file("plain.png"), file("t1"), 10, 10, FitMethod::scale));
  try {
    capped.make(file("adam7.png"), file("t2"), 10, 10, FitMethod::scale);
    ADD_FAILURE() << "an interlaced PNG over the whole-canvas cap was decoded";
  } catch (const ThumbnailError& e) {
    EXPECT_EQ(e.kind(), Kind::too_large);
  }
}

TEST_F(ThumbnailerTest, BadSizesAreRefused) {
  fs::path png = save_png("a.png", 64, 48);
  EXPECT_EQ(make_error(png, 0, 64), Kind::bad_size);
  EXPECT_EQ(make_error(png, 64, 0), Kind::bad_size);
  EXPECT_EQ(make_error(png, 5000, 64), Kind::bad_size);
  EXPECT_EQ(make_error(png, 64, 5000), Kind::bad_size);
  EXPECT_EQ(make_error(png, 2048, 2048), std::nullopt);
  // Checked first: a bad size on a non-image is still a bad size.
  EXPECT_EQ(make_error(save_bytes("a.txt", "hello"), 0, 0), Kind::bad_size);
}

TEST_F(ThumbnailerTest, NonImagesAreRefused) {
  const std::vector<std::pair<std::string, std::string>> files = {
      {"a.svg",
       R"(<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>)"},
      {"a.pdf", "%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"},
      {"a.txt", "just some text\n"},
      {"a.bmp", bmp_2x1()},
      {"a.ppm", "P3\n2 1\n255\n255 0 0 0 255 0\n"},
      {"a.csv", "1,2,3\n4,5,6\n"},
      {"a.mat", "2 2\n1 2\n3 4\n"},
      {"empty.png", ""},
      {"a.html", "<html><body>hi</body></html>"},
  };
  for (const auto& [name, bytes] : files) {
    fs::path path = save_bytes(name, bytes);
    EXPECT_FALSE(thumbnailer_.probe(path)) << name;
    EXPECT_EQ(make_error(path), Kind::not_image) << name;
  }
  EXPECT_FALSE(thumbnailer_.probe(file("missing.png")));
  EXPECT_EQ(make_error(file("missing.png")), Kind::not_image);
}

TEST_F(ThumbnailerTest, TruncatedFilesFailWithoutCrashing) {
  std::string jpeg = read_bytes(save_jpeg("whole.jpg", 640, 480));
  fs::path half = save_bytes("half.jpg", jpeg.substr(0, jpeg.size() / 2));
  ASSERT_TRUE(thumbnailer_.probe(half));  // the header is intact
  EXPECT_EQ(make_error(half, 64, 64), Kind::failed);
  EXPECT_EQ(make_error(half, 64, 64, FitMethod::crop), Kind::failed);
  EXPECT_FALSE(fs::exists(file("out")));                   // no half-written thumbnail left behind
  EXPECT_EQ(make_error(file("whole.jpg")), std::nullopt);  // and libvips is still usable

  std::string png = read_bytes(save_png("whole.png", 300, 200));
  fs::path cut_png = save_bytes("half.png", png.substr(0, png.size() / 2));
  EXPECT_EQ(make_error(cut_png), Kind::failed);

  fs::path cut_header = save_bytes("header.jpg", jpeg.substr(0, 20));
  auto kind = make_error(cut_header);
  EXPECT_TRUE(kind == Kind::not_image || kind == Kind::failed);
}

TEST_F(ThumbnailerTest, ErrorsCarryLibvipsText) {
  std::string jpeg = read_bytes(save_jpeg("whole.jpg", 640, 480));
  fs::path half = save_bytes("half.jpg", jpeg.substr(0, jpeg.size() / 2));
  try {
    thumbnailer_.make(half, file("out"), 64, 64, FitMethod::scale);
    ADD_FAILURE() << "no error";
  } catch (const ThumbnailError& e) {
    EXPECT_NE(std::string(e.what()).find("thumbnail failed: "), std::string::npos) << e.what();
  }
  EXPECT_STREQ(vips_error_buffer(), "");  // taken, not left for the next caller
}

TEST_F(ThumbnailerTest, OnlyTheAllowedLoadersAndSaversRun) {
  for (const char* allowed : {"VipsForeignLoadJpegFile", "VipsForeignLoadPngFile", "VipsForeignLoadNsgifFile",
                              "VipsForeignLoadWebpFile", "VipsForeignSaveJpegFile", "VipsForeignSavePngFile",
                              "VipsForeignSaveWebpFile"}) {
    if (g_type_from_name(allowed) == 0) continue;  // not built into this libvips
    EXPECT_FALSE(is_blocked(allowed)) << allowed;
  }
  // Trusted by libvips (so vips_block_untrusted_set leaves them), blocked by the
  // allowlist; then untrusted ones, and the buffer and source variants of ours.
  for (const char* blocked :
       {"VipsForeignLoadTiffFile", "VipsForeignLoadHeifFile", "VipsForeignLoadMatrixFile",
        "VipsForeignLoadVipsFile", "VipsForeignLoadSvgFile", "VipsForeignLoadPdfFile",
        "VipsForeignLoadMagickFile", "VipsForeignLoadPpmFile", "VipsForeignLoadCsvFile",
        "VipsForeignLoadJpegBuffer", "VipsForeignLoadPngSource", "VipsForeignLoadWebpBuffer",
        "VipsForeignSaveTiffFile", "VipsForeignSaveCgifFile", "VipsForeignSaveJpegBuffer",
        "VipsForeignSaveVipsFile", "VipsForeignSaveDzFile"}) {
    if (g_type_from_name(blocked) == 0) continue;
    EXPECT_TRUE(is_blocked(blocked)) << blocked;
  }
}

// Debian builds these loaders as libvips modules; init_vips keeps the modules (and the
// libraries behind them: ImageMagick, poppler, libheif) out of the process entirely.
TEST_F(ThumbnailerTest, LibvipsModulesAreNeverLoaded) {
  for (const char* from_a_module : {"VipsForeignLoadMagickFile", "VipsForeignLoadPdfFile",
                                    "VipsForeignLoadHeifFile", "VipsForeignLoadJxlFile"}) {
    EXPECT_EQ(g_type_from_name(from_a_module), 0u) << from_a_module;
  }
}

TEST_F(ThumbnailerTest, ValidFilesOfOtherFormatsAreRefused) {
  // Each file is valid (it loads once its loader is unblocked), so the refusal is the
  // allowlist's doing, not a parse error.
  fs::path ppm = save_bytes("a.ppm", std::string("P6\n2 1\n255\n\xff\x00\x00\x00\xff\x00", 17));
  EXPECT_TRUE(loads_when_unblocked("VipsForeignLoadPpmFile", ppm));
  EXPECT_FALSE(thumbnailer_.probe(ppm));
  EXPECT_EQ(make_error(ppm), Kind::not_image);

  fs::path matrix = save_bytes("a.mat", "2 2\n1 2\n3 4\n");
  EXPECT_TRUE(loads_when_unblocked("VipsForeignLoadMatrixFile", matrix));
  EXPECT_FALSE(thumbnailer_.probe(matrix));
  EXPECT_EQ(make_error(matrix), Kind::not_image);

  if (g_type_from_name("VipsForeignSaveTiffFile") == 0) return;  // no libtiff in this libvips
  Image image = pattern(8, 8);
  vips_operation_block_set("VipsForeignSaveTiffFile", FALSE);
  int status = vips_tiffsave(image.get(), file("a.tif").c_str(), nullptr);
  vips_operation_block_set("VipsForeignSaveTiffFile", TRUE);
  ASSERT_EQ(status, 0) << vips_error_buffer();
  EXPECT_TRUE(loads_when_unblocked("VipsForeignLoadTiffFile", file("a.tif")));
  EXPECT_FALSE(thumbnailer_.probe(file("a.tif")));
  EXPECT_EQ(make_error(file("a.tif")), Kind::not_image);
}

TEST_F(ThumbnailerTest, FileNamesWithLoaderOptionsAreRefused) {
  // libvips would read "[shrink=8]" as options for the loader.
  fs::path jpeg = save_jpeg("a.jpg", 64, 48);
  fs::path odd = file("a.jpg[shrink=8]");
  fs::copy_file(jpeg, odd);
  EXPECT_FALSE(thumbnailer_.probe(odd));
  EXPECT_EQ(make_error(odd), Kind::not_image);
}

TEST_F(ThumbnailerTest, ThreadsShareOneThumbnailer) {
  fs::path jpeg = save_jpeg("a.jpg", 640, 480);
  std::array<int, 4> made{};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      for (int n = 0; n < 5; ++n) {
        fs::path out = file("t" + std::to_string(i) + "_" + std::to_string(n));
        Thumbnail t = thumbnailer_.make(jpeg, out, 96, 96, FitMethod::crop);
        if (t.width == 96 && t.height == 96) ++made[i];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int count : made) EXPECT_EQ(count, 5);
}

}  // namespace
}  // namespace bartab::media
