# sprout — build, test, install. See README.md and docs/building.md.
#
#   make            build build/sprout
#   make test       install missing deps, build, run every suite, ASan+UBSan unit run
#   make asan       build into build-asan/ with AddressSanitizer + UBSan
#   make fuzz       build libFuzzer harnesses (clang) into build-fuzz/
#   make bench      run the benchmarks (docs/benchmarks.md)
#   make deps       install every Debian package the project uses
#   make install    PREFIX=/usr/local DESTDIR=
#   V=1             show commands

PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= build
CC ?= gcc
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

PKGS := libarchive jansson libcurl yaml-0.1 sqlite3 libmicrohttpd libcrypto libxml-2.0
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread

WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral -Wstrict-prototypes \
	-Wmissing-prototypes -Wvla -Wno-unused-parameter
OPT ?= -O2 -g
CFLAGS_ALL := -std=c17 -D_GNU_SOURCE $(OPT) $(WARN) -I. $(PKG_CFLAGS) \
	-DSPROUT_VERSION='"$(VERSION)"' -DSPROUT_PREFIX='"$(PREFIX)"' -MMD -MP $(EXTRA_CFLAGS)
LDFLAGS_ALL := $(EXTRA_LDFLAGS)

ifeq ($(V),1)
Q :=
else
Q := @
endif

LIB_DIRS := engine bundles ebextensions platform-hooks
LIB_SRC := $(sort $(filter-out engine/cli/%,$(shell find $(LIB_DIRS) -name '*.c' 2>/dev/null)))
CLI_SRC := $(sort $(wildcard engine/cli/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))

LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_OBJ := $(UNIT_SRC:%.c=$(BUILD)/obj/%.o)
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_SRC))
FUZZ_REPLAY := $(FUZZ_NAMES:%=$(BUILD)/fuzz-replay/%)

.PHONY: all asan fuzz test test-only bench deps install clean demo demo-stop check-deps

all: $(BUILD)/sprout

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/libsprout.a: $(LIB_OBJ)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/sprout: $(CLI_OBJ) $(BUILD)/libsprout.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $(CLI_OBJ) $(BUILD)/libsprout.a $(PKG_LIBS)

$(BUILD)/unit-tests: $(UNIT_OBJ) $(BUILD)/libsprout.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $(UNIT_OBJ) $(BUILD)/libsprout.a $(PKG_LIBS) -lcriterion

$(BUILD)/fuzz-replay/%: tests/fuzz/fuzz_%.c tests/fuzz/standalone_driver.c $(BUILD)/libsprout.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< tests/fuzz/standalone_driver.c $(BUILD)/libsprout.a $(PKG_LIBS)

build-tests: $(BUILD)/sprout $(BUILD)/unit-tests $(FUZZ_REPLAY)

asan:
	$(MAKE) BUILD=build-asan OPT="-O1 -g -fno-omit-frame-pointer" \
		EXTRA_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined" \
		EXTRA_LDFLAGS="-fsanitize=address,undefined" build-tests

fuzz:
	$(MAKE) BUILD=build-fuzz CC=clang OPT="-O1 -g" \
		EXTRA_CFLAGS="-fsanitize=fuzzer-no-link,address,undefined" \
		EXTRA_LDFLAGS="-fsanitize=address,undefined" build-fuzz/libsprout.a
	@mkdir -p build-fuzz/fuzz
	@for n in $(FUZZ_NAMES); do \
		echo "  FUZZ    build-fuzz/fuzz/$$n"; \
		clang -std=c17 -D_GNU_SOURCE -O1 -g -I. $(PKG_CFLAGS) -fsanitize=fuzzer,address,undefined \
			-o build-fuzz/fuzz/$$n tests/fuzz/fuzz_$$n.c build-fuzz/libsprout.a $(PKG_LIBS) || exit 1; \
	done
	@echo "run: build-fuzz/fuzz/<name> tests/fuzz/corpus/<name> -max_total_time=60"

check-deps:
	@sh tools/deps.sh --check >/dev/null 2>&1 || sh tools/deps.sh

deps:
	sh tools/deps.sh

test: check-deps
	$(MAKE) build-tests
	$(MAKE) asan
	sh tests/run-all.sh

# The suites only, against what is already built.
test-only:
	sh tests/run-all.sh

bench: all
	sh bench/run.sh

# A sample environment on this machine (tools/demo.sh): Docker, a local registry,
# `sprout serve`, three instances behind HAProxy. demo-stop stops what demo started.
demo:
	sh tools/demo.sh start

demo-stop:
	sh tools/demo.sh stop

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/sprout/web \
		$(DESTDIR)$(PREFIX)/share/sprout/platform-hooks
	install -m 0755 $(BUILD)/sprout $(DESTDIR)$(PREFIX)/bin/sprout
	cp -R web/. $(DESTDIR)$(PREFIX)/share/sprout/web/
	cp -R platform-hooks/. $(DESTDIR)$(PREFIX)/share/sprout/platform-hooks/
	find $(DESTDIR)$(PREFIX)/share/sprout -name '*.[ch]' -delete

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find build build-asan build-fuzz -name '*.d' 2>/dev/null)
