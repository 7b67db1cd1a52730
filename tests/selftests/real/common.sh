# Shared by the fetch-and-build scripts of real/ (sourced): Debian source
# packages with apt-get source, as server/build.sh does for redis.
#
# Exit status of the scripts: 0 built, 77 cannot build here (the last line
# of standard output says why: no apt, no network, not root...), 1 the
# build failed.

skip() { echo "$*"; exit 77; }
fail() { echo "$*"; exit 1; }

command -v apt-get >/dev/null && command -v dpkg-source >/dev/null ||
	skip "apt-get or dpkg-source (dpkg-dev) missing: not a Debian system"
command -v make >/dev/null && command -v cc >/dev/null && command -v patch >/dev/null ||
	skip "make, cc or patch missing"

# deb_src PKG: apt knows the source package PKG; as root, deb-src entries
# are added from the deb ones of /etc/apt/sources.list.d/debian.sources
# when there are none.
deb_src() {
	has() { apt-cache showsrc "$1" 2>/dev/null | grep -q "^Package: $1\$"; }
	has "$1" && return 0
	[ "$(id -u)" = 0 ] || skip "no deb-src entries for $1 (as root the test adds them)"
	[ -f /etc/apt/sources.list.d/debian.sources ] ||
		skip "no /etc/apt/sources.list.d/debian.sources to derive deb-src entries from"
	sed 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
		>/etc/apt/sources.list.d/uklp-src.sources
	apt-get update -qq >/dev/null 2>&1 || skip "apt-get update failed (no network?)"
	has "$1" || skip "no $1 source package after adding deb-src entries"
}

# need_pkgs PKG...: Debian packages the build needs, installed as root.
need_pkgs() {
	local p missing=""
	for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
	[ -z "$missing" ] && return 0
	[ "$(id -u)" = 0 ] || skip "missing build dependencies:$missing"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing \
		>/dev/null 2>&1 || skip "cannot install$missing"
}

# fetch PKG VERSION DIR: apt-get source PKG=VERSION into the current
# directory, else (that version left the archive) the newest source, which
# must unpack to DIR too.  FETCHED says which (not in a subshell: skip
# must end the script).
fetch() {
	if apt-get source -qq "$1=$2" >fetch.log 2>&1 && [ -d "$3" ]; then
		FETCHED="$1 $2"
		return 0
	fi
	rm -rf "$3" "$1"_*
	apt-get source -qq "$1" >fetch.log 2>&1 ||
		skip "apt-get source $1 failed: $(grep -m1 '^E:' fetch.log)"
	[ -d "$3" ] || skip "the newest $1 source is $(ls -d "$1"-* 2>/dev/null | head -1), not $3"
	FETCHED="$1 $(dpkg-parsechangelog -l "$3/debian/changelog" -S Version) ($2 has left the archive)"
}

# build DIR CMD LOG: run the build command at the top of DIR.
build() {
	(cd "$1" && sh -c "$2") >"$3" 2>&1 || { tail -20 "$3"; fail "build of $1 failed (see $3)"; }
}
