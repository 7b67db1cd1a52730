# uklp - live patching for running Linux processes.
#
#   make            build bin/uklp, the in-process runtime and the headers
#   make check      unit tests (cmocka) and selftests (prove)
#   make check-asan the same, with AddressSanitizer and UBSan in uklp
#   make demo       live-patch a running sample program, before and after
#   make bench      benchmarks, printed as a table
#   make install    PREFIX=/usr/local DESTDIR=
#   make deps       install the Debian packages the build needs (as root)

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
LIBDIR  ?= $(PREFIX)/lib
INCDIR  ?= $(PREFIX)/include
PKGDIR  ?= $(LIBDIR)/pkgconfig
RTDIR   ?= $(LIBDIR)/uklp
VERSION := 0.1.0

CC      ?= cc
O       := build
WERROR  ?= -Werror
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra $(WERROR) -Wno-missing-field-initializers
CPPFLAGS += -D_GNU_SOURCE -Isrc -Iinclude -DUKLP_VERSION='"$(VERSION)"' -DUKLP_RTDIR='"$(RTDIR)"' -DUKLP_INCDIR='"$(INCDIR)"'
LDLIBS  := -lelf -ldw -lunwind-ptrace -lunwind-x86_64 -lunwind

# Where the programs go: bin/ and lib/uklp/, or under build-asan/ for the
# sanitizer build, so that one never stands in for the other.
TREE    := .
ifeq ($(SANITIZE),1)
# undefined behaviour stops the test that hits it, as a leak or an
# overflow does: a message nobody reads is no check
CFLAGS  += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=all
O       := build-asan
TREE    := build-asan
endif
UKLP_BIN := $(TREE)/bin/uklp
UKLP_RT  := $(TREE)/lib/uklp/libuklp-rt.so
UKLP_CC  := $(TREE)/lib/uklp/uklp-cc
# uklp finds its headers at <bin>/../include (uklp build gives them to a
# fix): the sanitizer tree gets a link to this tree's.
ifneq ($(TREE),.)
TREE_INC := $(TREE)/include
endif

DEB_PACKAGES := build-essential pkg-config libelf-dev libdw-dev libunwind-dev \
		libcmocka-dev perl

LIB_SRCS := $(wildcard src/common/*.c src/klp/*.c src/elf/*.c src/symdb/*.c src/loader/*.c \
		src/proc/*.c src/ptrace/*.c src/core/*.c src/convert/*.c src/diff/*.c \
		src/build/*.c)
CLI_SRCS := $(wildcard src/cli/*.c)
RT_SRCS  := $(wildcard src/runtime/*.c src/klp/*.c)
HDRS     := $(wildcard src/*/*.h include/uklp/*.h)

LIB_OBJS := $(LIB_SRCS:%.c=$(O)/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(O)/%.o)

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(O)/tests/unit/%)

all: $(UKLP_BIN) $(UKLP_RT) $(UKLP_CC) $(TREE_INC)

ifneq ($(TREE),.)
$(TREE_INC):
	@mkdir -p $(TREE)
	ln -sfn $(CURDIR)/include $@
endif

$(O)/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(O)/libuklp.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(UKLP_BIN): $(CLI_OBJS) $(O)/libuklp.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(O)/libuklp.a $(LDLIBS)

# The runtime runs inside the target: no sanitizers, no dependencies but libc.
$(UKLP_RT): $(RT_SRCS) $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -g -Wall -Wextra $(WERROR) -Isrc -Iinclude -fPIC -shared \
		-fvisibility=hidden -Wl,-soname,libuklp-rt.so -o $@ $(RT_SRCS)

# The compiler wrapper of `uklp build` runs inside every build: libc only.
$(UKLP_CC): $(wildcard src/build/wrapper/*.[ch]) src/build/record.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -g -Wall -Wextra $(WERROR) -D_GNU_SOURCE -Isrc -o $@ \
		$(wildcard src/build/wrapper/*.c)

$(O)/tests/unit/%: tests/unit/%.c $(O)/libuklp.a tests/unit/*.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(O)/libuklp.a $(LDLIBS) -lcmocka

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

selftests: all
	$(MAKE) -C tests/selftests UKLP=$(abspath $(UKLP_BIN))
	cd tests/selftests && UKLP=$(abspath $(UKLP_BIN)) prove -v *.t

check: unit selftests

check-asan:
	$(MAKE) SANITIZE=1 check

demo: all
	$(MAKE) -C samples
	samples/demo.sh

bench: all
	$(MAKE) -C bench
	bench/run.sh

deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
		dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then echo "uklp: all build dependencies are installed"; \
	elif [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	else echo "uklp: missing Debian packages:$$missing"; \
	     echo "      run: sudo apt-get install$$missing"; exit 1; fi

install: all
	@mkdir -p $(O)
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@INCDIR@|$(INCDIR)|; s|@VERSION@|$(VERSION)|' uklp.pc.in > $(O)/uklp.pc
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(RTDIR) $(DESTDIR)$(INCDIR)/uklp $(DESTDIR)$(PKGDIR)
	install -m 755 bin/uklp $(DESTDIR)$(BINDIR)/uklp
	install -m 755 lib/uklp/libuklp-rt.so $(DESTDIR)$(RTDIR)/libuklp-rt.so
	install -m 755 lib/uklp/uklp-cc $(DESTDIR)$(RTDIR)/uklp-cc
	install -m 644 $(wildcard include/uklp/*.h) $(DESTDIR)$(INCDIR)/uklp/
	install -m 644 $(O)/uklp.pc $(DESTDIR)$(PKGDIR)/uklp.pc

clean:
	rm -rf build build-asan bin lib
	-$(MAKE) -C tests/selftests clean
	-$(MAKE) -C samples clean
	-$(MAKE) -C bench clean

.PHONY: all unit selftests check check-asan demo bench deps install clean
