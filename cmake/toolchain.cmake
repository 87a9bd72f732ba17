# Compiler launcher, warnings and sanitizer wiring shared by every target.

find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  # Sloppiness lets ccache reuse objects compiled against the precompiled header.
  set(_launcher "${CMAKE_COMMAND};-E;env;CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime;${CCACHE_PROGRAM}")
  set(CMAKE_CXX_COMPILER_LAUNCHER "${_launcher}")
endif()

add_library(bartab_warnings INTERFACE)
target_compile_options(bartab_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow=local
  -Wno-missing-field-initializers
  # GCC 12 false positive on Asio coroutine frames (operator new/delete pairs of awaitable_frame).
  -Wno-mismatched-new-delete)

set(BARTAB_SANITIZE "" CACHE STRING "Sanitizers to build with, e.g. address,undefined")
if(BARTAB_SANITIZE)
  add_compile_options(-fsanitize=${BARTAB_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${BARTAB_SANITIZE})
endif()
