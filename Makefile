# The two commands of the README: `make run` and `make test`. Everything else is a
# thin wrapper over CMake presets (release, debug, asan).
PRESET ?= release
BUILD_DIR := build/$(PRESET)
ARGS ?=

.PHONY: all bootstrap configure build run test test-fast bench format clean

all: build

bootstrap:
	@scripts/bootstrap

$(BUILD_DIR)/build.ninja: | bootstrap
	cmake --preset $(PRESET)

configure: bootstrap $(BUILD_DIR)/build.ninja

build: configure
	cmake --build --preset $(PRESET)

# Starts all services in one process on port 8080 with data in ./data.
run: build
	$(BUILD_DIR)/bin/bartab up $(ARGS)

# Builds and runs every test; ends with CTest's summary line.
test: build
	ctest --preset $(PRESET) -j2

# Unit tests only (no end-to-end label).
test-fast: build
	ctest --preset $(PRESET) -j2 -LE e2e

bench: build
	bench/run

format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf build
