# Bottega. `make` builds build/bottega; `make demo` and `make test` install what is missing first.
BUILD ?= build
TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all build deps web demo test test-unit test-e2e test-web asan bench format clean

all: build

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(TYPE) $(CMAKE_FLAGS)

build: $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

deps:
	scripts/deps.sh build

web:
	scripts/web.sh

# The demo shop on PORT (8080) and the provider simulator with its customer phone page on SIM_PORT
# (8090), started and stopped (Ctrl-C) together by scripts/demo.mjs.
demo:
	scripts/deps.sh demo
	$(MAKE) build web
	node scripts/demo.mjs --bottega $(BUILD)/bottega --port $${PORT:-8080} --sim-port $${SIM_PORT:-8090}

test:
	scripts/deps.sh test
	$(MAKE) build web
	scripts/test.sh

asan:
	scripts/deps.sh test
	$(MAKE) build BUILD=build-asan TYPE=Debug CMAKE_FLAGS=-DBOTTEGA_SANITIZE=ON
	cd build-asan && ctest --output-on-failure -j $(JOBS)

bench:
	scripts/deps.sh bench
	$(MAKE) build BUILD=build-release TYPE=Release
	bench/run.sh build-release/bottega
	bench/commerce.sh build-release/commerce_benchmark
	bench/reports.sh build-release/reports_benchmark
	bench/payments.sh build-release/payments_benchmark
	bench/pg.sh build-release/bottega
	node bench/drain.mjs build-release/bottega

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf $(BUILD) build-asan build-release
