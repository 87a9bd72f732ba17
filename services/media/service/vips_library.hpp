// libvips, loaded with dlopen on first use rather than linked: the library and the
// hundred it depends on (TIFF, librsvg, cairo, poppler's neighbours, ...) would
// otherwise load at every start, costing 20 MB of RSS and 50 ms before the first
// request, in a server that may never see an image. Only the entry points the
// thumbnailer calls are looked up; their types come from libvips' own header.
#pragma once

#include <vips/vips.h>

namespace bartab::media {

struct VipsLibrary {
  decltype(&::vips_version) version;
  decltype(&::vips_init) init;
  decltype(&::vips_block_untrusted_set) block_untrusted_set;
  decltype(&::vips_operation_block_set) operation_block_set;
  decltype(&::vips_cache_set_max) cache_set_max;
  decltype(&::vips_concurrency_set) concurrency_set;
  decltype(&::vips_error_buffer_copy) error_buffer_copy;
  decltype(&::vips_error_clear) error_clear;
  decltype(&::vips_image_new_from_file) image_new_from_file;
  decltype(&::vips_image_get_string) image_get_string;
  decltype(&::vips_image_get_width) image_get_width;
  decltype(&::vips_image_get_height) image_get_height;
  decltype(&::vips_image_get_n_pages) image_get_n_pages;
  decltype(&::vips_image_get_typeof) image_get_typeof;
  decltype(&::vips_image_get_int) image_get_int;
  decltype(&::vips_thumbnail) thumbnail;
  decltype(&::vips_jpegsave) jpegsave;
  decltype(&::vips_webpsave) webpsave;
  decltype(&::vips_pngsave) pngsave;
  decltype(&::g_object_unref) object_unref;
  decltype(&::g_free) free;
  decltype(&::g_log_set_handler) log_set_handler;
};

// The library's entry points, loaded once (thread-safe); throws std::runtime_error
// when libvips cannot be loaded or lacks one of them.
const VipsLibrary& vips_library();

}  // namespace bartab::media
