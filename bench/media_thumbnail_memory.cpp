// Peak memory of one thumbnail of a 12-megapixel JPEG, in a fresh process: peak RSS
// (getrusage ru_maxrss) after starting libvips and after the thumbnail, and the delta.
// The sample is generated in a child process so its own memory never counts here.
//   media_thumbnail_memory [scale|crop] [source.jpg]
// prints one line of JSON; sizes in KiB.
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "bench/media_sample.hpp"
#include "services/media/service/thumbnailer.hpp"

namespace {

namespace fs = std::filesystem;
using namespace bartab::media;

long max_rss_kib() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;  // KiB on Linux
}

// Forks before this process touches libvips, so the parent's peak stays its own.
bool generate_in_child(const fs::path& jpeg) {
  pid_t pid = ::fork();
  if (pid < 0) return false;
  if (pid == 0) {
    try {
      init_vips();
      bartab::bench::write_sample_jpeg(jpeg);
      ::_exit(0);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s\n", e.what());
      ::_exit(1);
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "scale";
  if (mode != "scale" && mode != "crop") {
    std::fprintf(stderr, "usage: %s [scale|crop] [source.jpg]\n", argv[0]);
    return 2;
  }
  std::string pattern = (fs::temp_directory_path() / "bartab-media-memory-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) return 1;
  fs::path dir = pattern;
  fs::path jpeg = argc > 2 ? fs::path(argv[2]) : dir / "sample.jpg";
  if (argc <= 2 && !generate_in_child(jpeg)) return 1;

  long at_start = max_rss_kib();
  Thumbnailer thumbnailer;  // starts libvips
  long after_init = max_rss_kib();
  auto start = std::chrono::steady_clock::now();
  FitMethod method = mode == "crop" ? FitMethod::crop : FitMethod::scale;
  Thumbnail thumb = method == FitMethod::crop ? thumbnailer.make(jpeg, dir / "thumb", 96, 96, method)
                                              : thumbnailer.make(jpeg, dir / "thumb", 320, 240, method);
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  long after_thumbnail = max_rss_kib();

  std::printf(
      "{\"mode\":\"%s\",\"thumbnail\":\"%ux%u\",\"ms\":%.1f,\"maxrss_start_kib\":%ld,"
      "\"maxrss_before_kib\":%ld,\"maxrss_after_kib\":%ld,\"delta_kib\":%ld}\n",
      mode.c_str(), thumb.width, thumb.height, ms, at_start, after_init, after_thumbnail,
      after_thumbnail - after_init);
  std::error_code ec;
  fs::remove_all(dir, ec);
  return 0;
}
