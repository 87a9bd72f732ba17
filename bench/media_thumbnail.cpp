// Time per thumbnail of a 12-megapixel JPEG: a 320x240 scale and a 96x96 crop, the two
// shapes the media service serves. Wall-clock time (UseRealTime): libvips runs part of
// each pipeline on its worker thread, which the benchmark thread's CPU time misses.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "bench/media_sample.hpp"
#include "services/media/service/thumbnailer.hpp"

namespace {

namespace fs = std::filesystem;
using namespace bartab::media;

// The sample JPEG, written once into a temporary directory removed at exit.
struct Sample {
  Sample() {
    init_vips();
    std::string pattern = (fs::temp_directory_path() / "bartab-media-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir = pattern;
    jpeg = dir / "sample.jpg";
    bartab::bench::write_sample_jpeg(jpeg);
  }
  ~Sample() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  fs::path dir;
  fs::path jpeg;
};

const Sample& sample() {
  static const Sample instance;
  return instance;
}

void run(benchmark::State& state, std::uint32_t width, std::uint32_t height, FitMethod method) {
  const Sample& source = sample();
  Thumbnailer thumbnailer;
  fs::path out = source.dir / "thumb";
  for (auto _ : state) benchmark::DoNotOptimize(thumbnailer.make(source.jpeg, out, width, height, method));
  state.counters["source_MB"] = static_cast<double>(fs::file_size(source.jpeg)) / 1e6;
  state.counters["thumb_bytes"] = static_cast<double>(fs::file_size(out));
}

void BM_Jpeg12MpScale320x240(benchmark::State& state) {
  run(state, 320, 240, FitMethod::scale);
}
void BM_Jpeg12MpCrop96x96(benchmark::State& state) {
  run(state, 96, 96, FitMethod::crop);
}

BENCHMARK(BM_Jpeg12MpScale320x240)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Jpeg12MpCrop96x96)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
