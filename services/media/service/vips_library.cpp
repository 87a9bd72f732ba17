#include "services/media/service/vips_library.hpp"

#include <dlfcn.h>

#include <mutex>
#include <stdexcept>
#include <string>

namespace bartab::media {

namespace {

// The soname that matches the header's ABI (libvips.so.42 for 8.14).
std::string soname() {
  return "libvips.so." + std::to_string(VIPS_LIBRARY_CURRENT - VIPS_LIBRARY_AGE);
}

template <class Function>
void resolve(void* handle, const char* name, Function& out) {
  void* symbol = ::dlsym(handle, name);
  if (symbol == nullptr) throw std::runtime_error(std::string("libvips lacks ") + name);
  out = reinterpret_cast<Function>(symbol);
}

VipsLibrary load() {
  // RTLD_LOCAL: its symbols serve only these lookups. Never closed: libvips keeps
  // threads and type registrations for the life of the process.
  void* handle = ::dlopen(soname().c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) throw std::runtime_error("cannot load " + soname() + ": " + ::dlerror());
  VipsLibrary v{};
  resolve(handle, "vips_version", v.version);
  resolve(handle, "vips_init", v.init);
  resolve(handle, "vips_block_untrusted_set", v.block_untrusted_set);
  resolve(handle, "vips_operation_block_set", v.operation_block_set);
  resolve(handle, "vips_cache_set_max", v.cache_set_max);
  resolve(handle, "vips_concurrency_set", v.concurrency_set);
  resolve(handle, "vips_error_buffer_copy", v.error_buffer_copy);
  resolve(handle, "vips_error_clear", v.error_clear);
  resolve(handle, "vips_image_new_from_file", v.image_new_from_file);
  resolve(handle, "vips_image_get_string", v.image_get_string);
  resolve(handle, "vips_image_get_width", v.image_get_width);
  resolve(handle, "vips_image_get_height", v.image_get_height);
  resolve(handle, "vips_image_get_n_pages", v.image_get_n_pages);
  resolve(handle, "vips_image_get_typeof", v.image_get_typeof);
  resolve(handle, "vips_image_get_int", v.image_get_int);
  resolve(handle, "vips_thumbnail", v.thumbnail);
  resolve(handle, "vips_jpegsave", v.jpegsave);
  resolve(handle, "vips_webpsave", v.webpsave);
  resolve(handle, "vips_pngsave", v.pngsave);
  resolve(handle, "g_object_unref", v.object_unref);
  resolve(handle, "g_free", v.free);
  resolve(handle, "g_log_set_handler", v.log_set_handler);
  // VIPS_INIT's ABI check, by hand.
  if (v.version(3) - v.version(5) != VIPS_LIBRARY_CURRENT - VIPS_LIBRARY_AGE)
    throw std::runtime_error(soname() + " does not have the ABI this program was built for");
  return v;
}

}  // namespace

const VipsLibrary& vips_library() {
  static const VipsLibrary library = load();  // thread-safe, retried if it threw
  return library;
}

}  // namespace bartab::media
