#!/bin/bash
# make install honours PREFIX and DESTDIR, installs a pkg-config file for
# patch authors, and the installed uklp finds its installed runtime.
. "$(dirname "$0")/functions.sh"
plan 10

root="$WORK/root"
make -s -C "$TOP" install PREFIX=/opt/uklp DESTDIR="$root" >"$WORK/install.log" 2>&1
is "$?" 0 "make install PREFIX=/opt/uklp DESTDIR=..."
for f in bin/uklp lib/uklp/libuklp-rt.so include/uklp/livepatch.h include/uklp/livepatch-helpers.h lib/pkgconfig/uklp.pc; do
	[ -e "$root/opt/uklp/$f" ]
	is "$?" 0 "installed $f"
done
cflags=$(PKG_CONFIG_PATH="$root/opt/uklp/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$root" pkg-config --cflags uklp)
like "$cflags" "-I$root/opt/uklp/include" "pkg-config --cflags uklp names the installed headers"
cc -c -O2 $cflags "$TOP/tests/selftests/patches/livepatch-sample.c" -o "$WORK/sample.o"
is "$?" 0 "the sample patch builds with the pkg-config flags alone"

start_target target
UKLP="$root/opt/uklp/bin/uklp"
uklp load -p $TPID "$WORK/sample.o"
is "$RC $(cmd answer 5)" "0 1005" "the installed uklp loads a patch (its runtime found next to it)"
uklp unload -p $TPID sample
is "$RC $(cmd answer 5)" "0 10" "and unloads it"
stop_target
done_testing
