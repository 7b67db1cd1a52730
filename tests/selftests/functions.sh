#!/bin/bash
# Shared by the selftests, in the spirit of the kernel's
# tools/testing/selftests/livepatch/functions.sh: start a target, talk to
# it, load and unload patches, and print TAP.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
UKLP=${UKLP:-$TOP/bin/uklp}	# make check-asan points it at the sanitizer build
OUT="$TOP/tests/selftests/out"
TESTS=0
FAILED=0
TARGETS=()
WORK=$(mktemp -d /tmp/uklp-selftest.XXXXXX)

plan() { echo "1..$1"; }

ok() {
	TESTS=$((TESTS + 1))
	echo "ok $TESTS - $*"
}

not_ok() {
	TESTS=$((TESTS + 1))
	FAILED=$((FAILED + 1))
	echo "not ok $TESTS - $*"
}

diag() { sed 's/^/# /' <<<"$*"; }

# is GOT WANT DESCRIPTION
is() {
	if [ "$1" == "$2" ]; then ok "$3"; else
		not_ok "$3"; diag "   got: '$1'"; diag "  want: '$2'"; fi
}

# like GOT REGEX DESCRIPTION
like() {
	if [[ "$1" =~ $2 ]]; then ok "$3"; else
		not_ok "$3"; diag "   got: '$1'"; diag "  want: /$2/"; fi
}

# unlike GOT REGEX DESCRIPTION
unlike() {
	if [[ "$1" =~ $2 ]]; then not_ok "$3"; diag "   got: '$1'"; else ok "$3"; fi
}

# start_target PROGRAM: the target runs with its stdin and stdout on FIFOs;
# sets TPID, and fds 3 (commands) and 4 (answers).
start_target() {
	local dir
	dir=$(mktemp -d "$WORK/t.XXXX")
	mkfifo "$dir/in" "$dir/out"
	"$OUT/$1" <"$dir/in" >"$dir/out" 2>"$dir/err" &
	TPID=$!
	TARGETS+=("$TPID")
	exec 3>"$dir/in" 4<"$dir/out"
	local line
	read -t 10 -r line <&4
	if [[ "$line" != "ready $TPID" ]]; then
		echo "Bail out! target $1 did not start: '$line'"
		exit 1
	fi
}

# cmd "answer 5": send a command, print the answer line.
cmd() {
	local line
	echo "$*" >&3 || { echo "(target gone)"; return; }
	if read -t 20 -r line <&4; then echo "$line"; else echo "(no answer)"; fi
}

# A target that does not quit within 10 s (a broken test left it spinning)
# is killed, so that the script reports instead of hanging.
stop_target() {
	local i
	echo quit >&3 2>/dev/null
	exec 3>&- 4<&-
	for i in $(seq 100); do exited "$TPID" && break; sleep 0.1; done
	if ! exited "$TPID"; then
		not_ok "target $TPID did not quit: killed"
		kill -9 "$TPID" 2>/dev/null
	fi
	wait "$TPID" 2>/dev/null
}

alive() { kill -0 "$1" 2>/dev/null; }
# Gone, or a zombie waiting for its parent.
exited() { [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ] || ! alive "$1"; }

# No thread of the process in a stopped or traced state.
running() {
	local st
	for st in /proc/"$1"/task/*/stat; do
		case "$(awk '{print $3}' "$st" 2>/dev/null)" in
		t|T) return 1 ;;
		esac
	done
	return 0
}

# uklp ARGS...: runs bin/uklp, sets RC, OUTPUT (stdout) and ERR (stderr).
uklp() {
	OUTPUT=$("$UKLP" "$@" 2>"$WORK/stderr")
	RC=$?
	ERR=$(cat "$WORK/stderr")
}

# Bytes of the target at an address (hex).
peek() { # pid addr len
	dd if=/proc/"$1"/mem bs=1 skip=$(($2)) count="$3" status=none 2>/dev/null | od -An -tx1 | tr -d ' \n'
}

# free_port: a loopback port nothing answers on (0 if none found).
free_port() {
	local p i
	for i in $(seq 50); do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 9<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then echo $p; return; fi
	done
	echo 0
}

cleanup() {
	local p
	for p in "${TARGETS[@]}"; do
		kill -9 "$p" 2>/dev/null
		# perf's map that uklp wrote for a patch still loaded at the end
		grep -q ' \[uklp:[^]]*\]$' "/tmp/perf-$p.map" 2>/dev/null && rm -f "/tmp/perf-$p.map"
	done
	rm -rf "$WORK"
}
trap cleanup EXIT

done_testing() {
	[ "$FAILED" -eq 0 ]
	exit $?
}
