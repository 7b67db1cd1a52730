#!/bin/bash
# uklp convert --kernel on a real kernel: a livepatch module that calls a
# static function of vmlinux and one of a module that loads later is
# converted with the symbols of a booted Debian kernel, then loaded into that
# kernel under QEMU (see docs/kernel.md).
#
#   boot 1 (dump)       /proc/kallsyms leaves the VM on the console
#   uklp symbols --kernel --system-map kallsyms.txt --modules DIR > kernel.syms
#   uklp convert --kernel --symbols kernel.syms lp.ko lp.klp.ko
#   boot 2 (test)       insmod the patch, then the target module (late module
#                       patching), reload the target, disable, rmmod
#
# A second test boot runs a variant of the patch that calls exported
# symbols only (no conversion): it checks this harness on its own.
#   UKLP_KT_VARIANT=both (default) | exported | converted
#   UKLP_KT_KVER=VERSION  the kernel to use (default: the newest in /boot
#                         that has its headers)
# Skips when the kernel, its headers, QEMU or busybox-static are missing and
# cannot be installed (not root).
. "$(dirname "$0")/functions.sh"
. "$(dirname "$0")/kernel/lib.sh"

if ! kt_prepare >"$WORK/prepare" 2>&1; then
	echo "1..0 # SKIP $(head -1 "$WORK/prepare")"
	exit 0
fi
kt_find_kernel
VARIANT=${UKLP_KT_VARIANT:-both}
CMDLINE="console=ttyS0 panic=-1 quiet nokaslr"
# One run at a time per tree: the output directory is shared.
mkdir -p "$OUT"
exec 9>"$OUT/kernel.lock"
flock 9
rm -rf "$KT_OUT"
mkdir -p "$KT_OUT"
diag "kernel $KT_VER ($KT_IMAGE), headers $KT_BUILD, output in $KT_OUT"

TODO=        # when set: " # TODO reason", appended to every description
t_ok() { if [ "$1" = 0 ]; then ok "$2$TODO"; else not_ok "$2$TODO"; fi; }
t_is() { is "$1" "$2" "$3$TODO"; }
t_like() { like "$1" "$2" "$3$TODO"; }

# diag_file FILE [LINES]: the end of a log, as TAP comments
diag_file() { [ -f "$1" ] && diag "$(tail -"${2:-15}" "$1")"; }

# build NAME DIR LABEL [MAKE ARGS]: one TAP line
build() {
	local name=$1 dir=$2 label=$3; shift 3
	kt_build "$name" "$dir" "$@"
	t_ok $? "kbuild builds the $label module against $KT_VER"
	[ -f "$dir/$(ls "$dir" | grep -m1 '\.ko$')" ] || diag_file "$dir.log"
}

# boot_checks TAG LOG BOOT_RC CONVERTED: the facts /init reported, one TAP
# line each
boot_checks() {
	local tag=$1 log=$2 rc=$3 converted=$4 v answer cmdline_re
	v() { kt_value "$log" "$1"; }
	# o NAME: " (what the command said)", if it said anything
	o() { local t; t=$(v "$1.out"); [ -n "$t" ] && echo " ($t)"; }
	if [ "$converted" = 1 ]; then
		answer="answer 41001"
		cmdline_re="^uklp_kt: this has been live patched\|uklp_kt: s_show,3 at [0-9a-f]{16}\|Linux version $KT_VER "
	else
		answer="answer 1042"
		cmdline_re="^uklp_kt: this has been live patched \(exported-only\)$"
	fi

	[ "$rc" = 0 ] && grep -qx '@@UKLP_KT end' "$log" 2>/dev/null
	t_ok $? "$tag: the VM boots, runs the test and powers off (qemu status $rc)"
	if [ "$rc" != 0 ] && [ -f "$log" ]; then diag_file "$log" 20; fi
	t_is "$(v uname)" "$KT_VER" "$tag: the VM runs kernel $KT_VER"
	if [ "$converted" = 1 ]; then
		[ "$(v insmod_unconverted.rc)" != 0 ] && [ -n "$(v insmod_unconverted.rc)" ]
		t_ok $? "$tag: the kernel refuses the unconverted module:$(v unconverted_dmesg |
			grep -o 'Unknown symbol [a-z_]*' | sort -u | sed 's/^Unknown symbol/ unknown/' | tr -d '\n')"
	fi
	t_is "$(v insmod_lp.rc)" 0 "$tag: insmod livepatch_uklp_kt$(o insmod_lp)"
	t_is "$(v enabled)/$(v transition)" 1/0 "$tag: patch enabled, transition finished (enabled/transition)"
	t_like "$(v cmdline)" "$cmdline_re" "$tag: /proc/cmdline runs the new cmdline_proc_show"
	if [ "$converted" = 1 ]; then
		# .klp.sym.vmlinux.s_show,3 must be the third s_show of kallsyms
		local got want
		got=$(v cmdline | sed -n 's/.*s_show,3 at \([0-9a-f]*\).*/\1/p')
		want=$(v s_show | cut -d'|' -f3)
		[ -n "$want" ] && [ "$got" = "$want" ]
		t_ok $? "$tag: sympos 3 resolves to the third s_show of kallsyms ($got; all: $(v s_show))"
	fi
	t_is "$(v insmod_target.rc)" 0 "$tag: insmod uklp_kt_target after the patch$(o insmod_target)"
	t_is "$(v answer)" "$answer" "$tag: late module patching: uklp_kt_answer() is replaced"
	t_is "$(v rmmod_target.rc)" 0 "$tag: rmmod uklp_kt_target$(o rmmod_target)"
	if [ "$converted" = 1 ] && ! kt_version_ge 6 3; then
		# Before Linux 6.3 ("livepatch: Clear relocation targets on a
		# module removal") the .klp.rela targets of a module that went away
		# keep their values, and x86's apply_relocate_add() refuses to
		# write them again: the module cannot come back while the patch is
		# enabled.
		[ "$(v reload_target.rc)" != 0 ] && [ "$(v reload_nonzero)" -ge 1 ] 2>/dev/null
		t_ok $? "$tag: $KT_VER < 6.3 refuses to reload the target ('existing value is nonzero' x$(v reload_nonzero))"
	else
		[ "$(v reload_target.rc)" = 0 ] && [ "$(v reload_answer)" = "$answer" ]
		t_ok $? "$tag: the target reloads and is patched again ($(v reload_target.rc), $(v reload_answer))"
	fi
	t_is "$(v disable.rc)/$(v sys_after)" 0/gone "$tag: echo 0 >enabled: the patch goes away"
	t_is "$(v cmdline_after)" "$CMDLINE" "$tag: /proc/cmdline is original again"
	t_is "$(v answer_after)" "answer 42" "$tag: uklp_kt_answer() is original again"
	t_is "$(v rmmod_lp.rc)" 0 "$tag: rmmod livepatch_uklp_kt$(o rmmod_lp)"
}

build target "$KT_OUT/target" uklp_kt_target

# -- the exported-only variant: no conversion, checks the harness itself
if [ "$VARIANT" != converted ]; then
	E=$KT_OUT/exported
	build livepatch "$E/livepatch" "exported-only livepatch" UKLP_KT_VARIANT=exported
	kt_initramfs test "$E/initramfs.gz" "$KT_OUT/target/uklp_kt_target.ko" \
		"$E/livepatch/livepatch_uklp_kt.ko"
	kt_boot "$E/initramfs.gz" "$E/boot.log"
	boot_checks exported "$E/boot.log" $? 0
fi

# -- the real flow: kallsyms, uklp symbols, uklp convert, boot
if [ "$VARIANT" != exported ]; then
	C=$KT_OUT/converted
	if ! "$UKLP" convert --help 2>&1 | grep -q -- --kernel ||
	   ! "$UKLP" symbols --help 2>&1 | grep -q -- --kernel; then
		TODO=" # TODO uklp symbols/convert --kernel not available yet"
		SAVED_FAILED=$FAILED
	fi
	build livepatch "$C/livepatch" livepatch_uklp_kt KBUILD_MODPOST_WARN=1
	grep -q 'version_proc_show" .* undefined' "$C/livepatch.log" &&
		grep -q 'uklp_kt_base" .* undefined' "$C/livepatch.log" &&
		grep -q 's_show" .* undefined' "$C/livepatch.log"
	t_ok $? "modpost leaves version_proc_show, s_show and uklp_kt_base undefined"

	kt_initramfs dump "$C/dump.gz"
	kt_boot "$C/dump.gz" "$C/dump.log"
	rc=$?
	kt_between "$C/dump.log" kallsyms-begin kallsyms-end | base64 -d 2>/dev/null |
		gunzip >"$C/kallsyms.txt" 2>/dev/null
	n=$(grep -c . "$C/kallsyms.txt")
	[ "$rc" = 0 ] && [ "$n" -gt 10000 ] && grep -q ' t version_proc_show$' "$C/kallsyms.txt"
	t_ok $? "boot 1 dumps /proc/kallsyms ($n symbols, version_proc_show local)"
	[ "$rc" = 0 ] || diag_file "$C/dump.log" 20

	"$UKLP" symbols --kernel --system-map "$C/kallsyms.txt" --modules "$KT_OUT/target" \
		>"$C/kernel.syms" 2>"$C/symbols.err"
	rc=$?
	[ "$rc" = 0 ] && grep -q '^object uklp_kt_target ' "$C/kernel.syms"
	t_ok $? "uklp symbols --kernel: vmlinux and uklp_kt_target (status $rc)"
	[ "$rc" = 0 ] || diag_file "$C/symbols.err"

	"$UKLP" convert --kernel --symbols "$C/kernel.syms" "$C/livepatch/livepatch_uklp_kt.ko" \
		"$C/livepatch_uklp_kt.klp.ko" >"$C/convert.out" 2>&1
	rc=$?
	t_is "$rc" 0 "uklp convert --kernel livepatch_uklp_kt.ko"
	[ "$rc" = 0 ] || diag_file "$C/convert.out"
	syms=$(readelf -sW "$C/livepatch_uklp_kt.klp.ko" 2>/dev/null |
		grep -F '[0xff20]' | awk '{print $NF}' | sort | tr '\n' ' ')
	t_is "$syms" ".klp.sym.uklp_kt_target.uklp_kt_base,0 .klp.sym.vmlinux.s_show,3 .klp.sym.vmlinux.version_proc_show,0 " \
		"the converted module has the three SHN_LIVEPATCH symbols"
	secs=$(readelf -SW "$C/livepatch_uklp_kt.klp.ko" 2>/dev/null |
		grep -o '\.klp\.rela\.[^ ]*' | sort | tr '\n' ' ')
	t_is "$secs" ".klp.rela.uklp_kt_target..text .klp.rela.vmlinux..text " \
		"the converted module has .klp.rela sections for both objects"

	kt_initramfs test "$C/initramfs.gz" "$KT_OUT/target/uklp_kt_target.ko" \
		"$C/livepatch_uklp_kt.klp.ko=livepatch_uklp_kt.ko" \
		"$C/livepatch/livepatch_uklp_kt.ko=unconverted/livepatch_uklp_kt.ko"
	kt_boot "$C/initramfs.gz" "$C/boot.log"
	boot_checks converted "$C/boot.log" $? 1
	if [ -n "$TODO" ]; then FAILED=$SAVED_FAILED; TODO=; fi
fi

plan "$TESTS"
done_testing
