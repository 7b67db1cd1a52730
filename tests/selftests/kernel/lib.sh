#!/bin/bash
# Host side of the kernel selftest (tests/selftests/10-kernel.t): find a
# kernel image with its headers, build the modules with kbuild, pack a
# busybox initramfs, boot it under QEMU and read back what /init reports.
# Sourced after ../functions.sh; KT_* names are this file's.

KT_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KT_OUT=${KT_OUT:-$OUT/kernel}
KT_PACKAGES="linux-image-amd64 linux-headers-amd64 qemu-system-x86 busybox-static cpio"
KT_BOOT_TIMEOUT=${UKLP_KT_BOOT_TIMEOUT:-180}

# kt_find_kernel: sets KT_VER, KT_IMAGE and KT_BUILD for a kernel that has
# an image in /boot, its kbuild tree (headers) and livepatch: UKLP_KT_KVER
# if set, else the one Debian's linux-image-amd64 points to, else the newest.
kt_find_kernel() {
	local ver want
	KT_VER=
	want=${UKLP_KT_KVER:-$(dpkg-query -W -f '${Depends}' linux-image-amd64 2>/dev/null |
		sed -n 's/^linux-image-\([^ ,]*\).*/\1/p')}
	for ver in $want $(ls -v /boot/vmlinuz-* 2>/dev/null | tac | sed 's|^/boot/vmlinuz-||'); do
		[ -n "${UKLP_KT_KVER:-}" ] && [ "$ver" != "$UKLP_KT_KVER" ] && continue
		[ -r "/boot/vmlinuz-$ver" ] || continue
		[ -f "/lib/modules/$ver/build/Makefile" ] || continue
		[ -f "/boot/config-$ver" ] && ! grep -q '^CONFIG_LIVEPATCH=y' "/boot/config-$ver" && continue
		KT_VER=$ver KT_IMAGE=/boot/vmlinuz-$ver KT_BUILD=/lib/modules/$ver/build
		return 0
	done
	return 1
}

kt_have_tools() {
	command -v qemu-system-x86_64 >/dev/null && command -v cpio >/dev/null &&
		[ -x /bin/busybox ] && ! readelf -l /bin/busybox 2>/dev/null | grep -q INTERP
}

# kt_prepare: makes sure a kernel, its headers, QEMU and a static busybox
# are there, installing Debian's packages when running as root.  Prints the
# reason and returns 1 when they cannot be had.
kt_prepare() {
	if kt_find_kernel && kt_have_tools; then return 0; fi
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
		echo "needs $KT_PACKAGES (not root, cannot install them)"
		return 1
	fi
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			$KT_PACKAGES >"$WORK/apt.log" 2>&1; then
		echo "apt-get install $KT_PACKAGES failed: $(tail -1 "$WORK/apt.log")"
		return 1
	fi
	kt_find_kernel || { echo "no /boot/vmlinuz-* with its headers"; return 1; }
	kt_have_tools || { echo "no qemu-system-x86_64, cpio or static busybox"; return 1; }
}

# kt_version_ge MAJOR MINOR: is KT_VER at least MAJOR.MINOR?
kt_version_ge() {
	local maj min
	IFS=. read -r maj min _ <<<"${KT_VER%%-*}"
	[ "$maj" -gt "$1" ] || { [ "$maj" -eq "$1" ] && [ "$min" -ge "$2" ]; }
}

# kt_build NAME DIR [MAKE ARGS]: kbuild the module source in kernel/NAME in
# a copy at DIR; the log is DIR.log.
kt_build() {
	local name=$1 dir=$2; shift 2
	rm -rf "$dir"; mkdir -p "$dir"
	cp "$KT_SRC/$name"/* "$dir"/
	make -C "$KT_BUILD" M="$dir" "$@" modules >"$dir.log" 2>&1
}

# kt_initramfs MODE OUT.cpio.gz [FILE.ko[=NAME]...]: FILE goes in as
# /lib/modules/uklp/NAME (default: its base name).
kt_initramfs() {
	local mode=$1 out=$2 root f; shift 2
	root=$(mktemp -d "$WORK/initramfs.XXXX")
	mkdir -p "$root"/{bin,etc,proc,sys,dev,tmp,lib/modules/uklp}
	cp /bin/busybox "$root/bin/busybox"
	ln -s busybox "$root/bin/sh"
	cp "$KT_SRC/init" "$root/init"
	chmod 755 "$root/init"
	echo "$mode" >"$root/etc/uklp_kt_mode"
	for f in "$@"; do
		case $f in
		*=*) mkdir -p "$(dirname "$root/lib/modules/uklp/${f#*=}")"
		     cp "${f%%=*}" "$root/lib/modules/uklp/${f#*=}" ;;
		*)   cp "$f" "$root/lib/modules/uklp/" ;;
		esac
	done
	(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 >"$out"
}

# kt_boot INITRAMFS LOG: boots KT_IMAGE with it; the console goes to LOG
# (carriage returns removed).  Returns QEMU's status (124: timed out).
kt_boot() {
	local rc
	timeout "$KT_BOOT_TIMEOUT" qemu-system-x86_64 -accel tcg -smp 1 -m 512 \
		-nographic -no-reboot -kernel "$KT_IMAGE" -initrd "$1" \
		-append "console=ttyS0 panic=-1 quiet nokaslr" </dev/null >"$2.raw" 2>&1
	rc=$?
	tr -d '\r' <"$2.raw" >"$2"
	rm -f "$2.raw"
	return $rc
}

# kt_value LOG NAME: the value of a "@@UKLP_KT NAME VALUE" line
kt_value() {
	sed -n "s/^@@UKLP_KT $2 \{0,1\}//p" "$1" | head -1
}

# kt_between LOG BEGIN END: the lines between two markers
kt_between() {
	sed -n "/^@@UKLP_KT $2\$/,/^@@UKLP_KT $3\$/p" "$1" | sed '1d;$d'
}
