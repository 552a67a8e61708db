# Entry points. `make test` and `make demo` install what is missing (as root or via sudo),
# build, then run. Variables: BUILD (build dir), PREFIX, DESTDIR, JOBS.
BUILD   ?= build
PREFIX  ?= /usr/local
DESTDIR ?=
JOBS    ?= $(shell nproc)

# Exactly the Debian 12 packages the project needs: toolchain, libraries, OpenBLAS as the
# BLAS libtorch calls, ffmpeg/ffprobe for the stream tests, python3 for benchmark tables.
PACKAGES = cmake g++ make pkg-config libtorch-dev libvips-dev libavcodec-dev libavformat-dev \
           libswscale-dev libavutil-dev libboost-program-options-dev libtomlplusplus-dev \
           libgtest-dev libdlib-dev libdlib-data libssl-dev nlohmann-json3-dev libgloo-dev \
           libopenblas0-openmp ffmpeg python3
BLAS_ALT   = /usr/lib/x86_64-linux-gnu/openblas-openmp
SUDO      := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps build test demo install bench bench-forge bench-attr bench-reenact bench-joint bench-poison bench-train-speed bench-import docs clean \
        sanitize-build sanitize fuzz

all: build

deps:
	@missing=$$(for p in $(PACKAGES); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing" $$missing; \
	  $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $$missing; \
	fi
	@# libtorch calls whatever libblas.so.3 / liblapack.so.3 point to: make that OpenBLAS.
	@for lib in libblas.so.3 liblapack.so.3; do \
	  cur=$$(readlink -f /usr/lib/x86_64-linux-gnu/$$lib); \
	  case "$$cur" in $(BLAS_ALT)/*) ;; *) \
	    $(SUDO) update-alternatives --set $$lib-x86_64-linux-gnu $(BLAS_ALT)/$$lib ;; esac; \
	done

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=$(PREFIX)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

# Protects a real portrait and a synthetic face with the shipped default model and writes
# a contact sheet of the shipped forger's edits of the clean and the protected faces.
DEMO ?= demo-output
demo: build
	models/demo.sh $(BUILD) $(DEMO)

install: build
	DESTDIR=$(DESTDIR) cmake --install $(BUILD) --prefix $(PREFIX)

# Regenerates man pages and shell completions from each tool's own option table.
docs: build
	@for t in $(BUILD)/id-*; do n=$$(basename $$t); \
	  $$t --generate-doc=man > man/$$n.1 && \
	  $$t --generate-doc=bash > completions/bash/$$n && \
	  $$t --generate-doc=zsh > completions/zsh/_$$n && \
	  $$t --generate-doc=fish > completions/fish/$$n.fish; done

bench: build
	bench/blas.sh $(BUILD)

# About 13 hours of one core (five editors, one after the other; FORGE_ONLY="res6 ..." picks
# some, so two runs can share 2 cores); cached, so a rerun only redoes what changed.
bench-forge: build
	bench/forge.sh $(BUILD)

# The paper's Table 1 on synthetic faces: one command from a clean clone (the forger's editors
# of bench-forge first; both cached, so a rerun or a run over several sittings goes on).
bench-attr: bench-forge
	bench/attr.sh $(BUILD)

# The paper's Table 2: a real portrait made to talk, the defender's generators, the forger's
# reenactors of five architectures on the clean, protected and noisy video (cached, resumable).
bench-reenact: build
	bench/reenact.sh $(BUILD)

# The joint scenario: the talking astronaut protected against attribute editing, reenactment
# and both (id-joint), each scored against both threats; id-joint on a 720p stream (~30 min).
bench-joint: build
	bench/joint.sh $(BUILD)

# id-poison: pg vs pgd per face, a 1920x1280 photo, a 720p stream through ffmpeg, peak
# memory over 300 and 3000 frames (LONG_FRAMES=0 skips the long one). Uses bench-forge's
# res6 editor when it is there.
bench-poison: build
	bench/poison.sh $(BUILD)

# One id-train-attr iteration at the authors' setting, stage by stage, its convolution FLOPs
# and the machine's convolution throughput (bench/train_speed.cpp).
bench-train-speed: build
	bench/train-speed.sh $(BUILD)

# An imported StarGAN at the published CelebA scale on CPU: id-forge import, id-score attr,
# id-poison --refine-against and PGD on it, seconds per face. Debian's python3-torch writes
# the checkpoint (a bench fixture; the tools never need Python).
bench-import: build
	@$(MAKE) --no-print-directory deps PACKAGES="python3-torch"
	bench/import.sh $(BUILD)

# One clang build with AddressSanitizer and UndefinedBehaviorSanitizer (and libFuzzer's
# coverage hooks) serves both: `make sanitize` runs make test's tests in it, `make fuzz` runs
# each fuzz/ target for FUZZ_SECONDS and adds the figures to bench/results/fuzz.md.
SANITIZE_BUILD ?= build-sanitize
FUZZ_SECONDS   ?= 60
sanitize-build: deps
	@$(MAKE) --no-print-directory deps PACKAGES="clang libclang-rt-14-dev"
	@[ -f $(SANITIZE_BUILD)/CMakeCache.txt ] || cmake -S . -B $(SANITIZE_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DID_FUZZ=ON
	cmake --build $(SANITIZE_BUILD) -j $(JOBS)

sanitize: sanitize-build
	ASAN_OPTIONS=$(ASAN_OPTIONS_TEST) UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/fuzz/lsan.supp:print_suppressions=0 \
	  ctest --test-dir $(SANITIZE_BUILD) --output-on-failure -j $(JOBS)
ASAN_OPTIONS_TEST = abort_on_error=0:detect_stack_use_after_return=0

fuzz: sanitize-build
	bench/fuzz.sh $(SANITIZE_BUILD) $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) $(SANITIZE_BUILD)
