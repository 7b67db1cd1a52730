#!/bin/bash
# uklp build on a real Debian source package, GNU hello (autotools, gnulib
# in a static library, debhelper): its own build (debian/rules build, with
# dpkg-buildflags' -O2 -g -ffile-prefix-map -fstack-protector-strong
# -D_FORTIFY_SOURCE=2) goes through the wrapper, a fix to src/hello.c is
# found and its object checked against the program the user built with
# the package's flags; a program built with other flags is refused.
#
# Needs `apt-get source hello` (deb-src entries: as root the test adds them
# as server/build.sh does) and the package's build dependencies (debhelper,
# help2man, texinfo: installed as root when missing); skipped otherwise.
. "$(dirname "$0")/functions.sh"

skip_all() { echo "1..0 # SKIP $*"; exit 0; }

command -v apt-get >/dev/null && command -v dpkg-source >/dev/null || skip_all "not a Debian system with dpkg-dev"
if ! apt-cache showsrc hello 2>/dev/null | grep -q '^Package: hello'; then
	[ "$(id -u)" = 0 ] && [ -f /etc/apt/sources.list.d/debian.sources ] || skip_all "no deb-src entries"
	sed 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
		>/etc/apt/sources.list.d/uklp-src.sources
	apt-get update -qq >/dev/null 2>&1 || skip_all "apt-get update failed"
fi
missing=""
for p in debhelper help2man texinfo; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
	[ "$(id -u)" = 0 ] || skip_all "missing build dependencies:$missing"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null 2>&1 ||
		skip_all "cannot install$missing"
fi
D="$WORK/deb"
mkdir -p "$D"
(cd "$D" && apt-get source -qq hello >fetch.log 2>&1) || skip_all "apt-get source hello failed"
SRC=$(ls -d "$D"/hello-[0-9]* 2>/dev/null | head -1)
[ -f "$SRC/src/hello.c" ] && grep -q 'greeting_msg = _("Hello, world!");' "$SRC/src/hello.c" ||
	skip_all "this hello source has no src/hello.c with the greeting the fix changes"

plan 9

# The fix, made against this version.
mkdir -p "$D/a/src" "$D/b/src"
cp "$SRC/src/hello.c" "$D/a/src/"
sed 's|  greeting_msg = _("Hello, world!");|  /* the fix */\n  greeting_msg = _("Hello, live world!");|' "$SRC/src/hello.c" >"$D/b/src/hello.c"
(cd "$D" && diff -u a/src/hello.c b/src/hello.c >fix.patch)

# The user's builds: as the package builds, and with another flag.
cp -a "$SRC" "$D/user"
(cd "$D/user" && DEB_BUILD_OPTIONS="nostrip nocheck" debian/rules build >../user.log 2>&1)
is "$?" 0 "the package builds (debian/rules build)"
cp -a "$SRC" "$D/other"
(cd "$D/other" && DEB_BUILD_OPTIONS="nostrip nocheck" DEB_CFLAGS_APPEND=-fno-omit-frame-pointer \
	debian/rules build >../other.log 2>&1)

B=(--source "$SRC" --build 'DEB_BUILD_OPTIONS=nocheck debian/rules build' --cache-dir "$WORK/cache" --dry-run)
uklp build "${B[@]}" --target "$D/user/hello" "$D/fix.patch"
is "$RC" 0 "uklp build of the package exits 0"
[ "$RC" -ne 0 ] && diag "$ERR"
is "$(cut -f1,2 <<<"$OUTPUT")" "$(printf 'src/hello.c\tvmlinux')" "the changed object: src/hello.c, in the program"
like "$ERR" "check: the rebuilt original is the running one: [1-9][0-9]* function" \
	"its functions and their callees have the bytes of the user's build"
LOG=$(ls "$WORK"/cache/build/*/orig.log | head -1)
line=$(grep '^cc' "$LOG" | grep '/src/hello\.c	')
like "$line" "	-D_FORTIFY_SOURCE=2	.*	-ffile-prefix-map=[^	]*	-fstack-protector-strong	.*	-ffunction-sections	-fdata-sections" \
	"the package's own flags reached the compiler through the wrapper, with uklp's added"
like "$(grep -c '^link' "$LOG")" "^[1-9]" "the links are logged"

uklp build "${B[@]}" --target "$D/other/hello" "$D/fix.patch"
is "$RC" 1 "a program built with other flags is refused"
like "$ERR" "not what .*other/hello runs: function '[a-z_]+' \\(src/hello\\.c\\)" "... naming a function of src/hello.c"
like "$ERR" "original build: from the cache" "... the original build taken from the cache"

done_testing
