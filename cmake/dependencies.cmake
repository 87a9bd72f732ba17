# Every third-party library comes from a Debian package installed by scripts/bootstrap.

find_package(Boost 1.81 REQUIRED COMPONENTS json url)
find_package(Threads REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(tomlplusplus REQUIRED)
find_package(CLI11 REQUIRED)
if(BARTAB_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(BARTAB_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
