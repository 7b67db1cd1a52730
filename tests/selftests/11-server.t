#!/bin/bash
# A real server, patched while it serves traffic: redis 7.0.15 built from
# Debian 12's source package 5:7.0.15-1~deb12u7 (server/build.sh), and the
# real upstream security fix for CVE-2026-25243 (Debian's deb12u8 update) in
# its two functions _sdsnewlen() and zipmapValidateIntegrity()
# (server/fix-cve-2026-25243.c).  A client could, with one RESTORE command,
# store a corrupt hash (a zipmap with 5-byte encoded small lengths) or abort
# the server (a string length near SIZE_MAX tripping an assert()).
#
#   old behaviour: RESTORE stores the corrupt zipmap; one RESTORE kills a
#                  second, unpatched instance
#   load the patch while redis-benchmark hammers the server
#   new behaviour: both payloads get "ERR Bad data format", the server lives
#   list, traffic finished without one error, data written before is there
#   unload: the old behaviour is back, the server still answers
#
# Skips when the source cannot be fetched or built here (server/build.sh).
. "$(dirname "$0")/functions.sh"

SRVDIR="$TOP/tests/selftests/server"
BUILD="$OUT/server"
if ! "$SRVDIR/build.sh" "$BUILD" >"$WORK/build" 2>&1; then
	echo "1..0 # SKIP $(tail -1 "$WORK/build")"
	exit 0
fi
BIN="$BUILD/redis-7.0.15/src"
plan 34
diag "$(tail -1 "$WORK/build")"

# The payloads, from the tests of the upstream fix (tests/integration/
# corrupt-dump.tcl, tests/unit/dump.tcl); the last one with RDB version 10
# (7.0's) and its CRC64 instead of version 12.
ZIPMAP_FIELD='"\x09\x11\x01\xfe\x04\x00\x00\x00\x01\x00\xff\x00\x04\x00\x76\x61\x6c\x31\xff\x09\x00\xf9\xd5\xa4\xf7\x7d\x00\x3f\x1b"'
ZIPMAP_VALUE='"\x09\x0e\x01\x01\x6b\xfe\x04\x00\x00\x00\x00\x76\x61\x6c\x31\xff\x09\x00\xd0\xf9\xe4\x1d\xe4\xfb\x11\x4c"'
HUGE_STRING='"\x00\x81\xff\xff\xff\xff\xff\xff\xff\xf7\x0a\x00\x06\xd1\x86\x25\xc0\x60\x02\x27"'

# start_redis NAME [victim]: sets RPID and PORT (a few tries if the port is
# taken).  A victim runs in a subshell that writes its exit status to
# $WORK/NAME.status (so that its crash is not reported on our stderr, and
# leaves no core file); RPID is then that subshell.
start_redis() {
	local try i
	local args=(--bind 127.0.0.1 --protected-mode yes --save '' --appendonly no
		--dir "$WORK" --logfile "$WORK/$1.log" --crash-memcheck-enabled no)
	for try in 1 2 3; do
		PORT=$(free_port)
		if [ "${2:-}" = victim ]; then
			( ulimit -c 0
			  "$BIN/redis-server" --port "$PORT" "${args[@]}" 2>"$WORK/$1.err"
			  echo $? >"$WORK/$1.status" ) 2>/dev/null &
		else
			"$BIN/redis-server" --port "$PORT" "${args[@]}" &
		fi
		RPID=$!
		TARGETS+=("$RPID")
		for i in $(seq 100); do
			if [ "$(rcli -p "$PORT" PING 2>/dev/null)" = PONG ]; then
				# the victim's redis-server itself, for cleanup
				[ "${2:-}" = victim ] && mapfile -t -O "${#TARGETS[@]}" TARGETS < <(pgrep -P "$RPID")
				return 0
			fi
			alive "$RPID" || break
			sleep 0.1
		done
		pkill -9 -P "$RPID" 2>/dev/null
		kill -9 "$RPID" 2>/dev/null
	done
	echo "Bail out! redis-server did not start (see $WORK/$1.log)"
	exit 1
}

rcli() { timeout 20 "$BIN/redis-cli" -h 127.0.0.1 "$@"; }
# r PORT 'COMMAND ...': one command, quoted arguments with \xHH escapes
# allowed; prints the reply (errors as "ERR ...") without empty lines.
r() { printf '%s\n' "$2" | rcli -p "$1" 2>&1 | grep -v '^$'; }
info() { rcli -p "$1" INFO "$2" | tr -d '\r' | awk -F: -v k="$3" '$1 == k {print $2}'; }
ms() { echo $(($(date +%s%N) / 1000000)); }

# --- a second, unpatched instance: what the bug does to a server ---
start_redis victim victim
VPID=$RPID VPORT=$PORT
r $VPORT "RESTORE t 0 $HUGE_STRING" >/dev/null
for i in $(seq 100); do alive $VPID || break; sleep 0.1; done
wait $VPID
st=$(cat "$WORK/victim.status" 2>/dev/null)
like "$st" '^134$' "before the patch: one RESTORE of a huge string length kills redis-server (SIGABRT)"
like "$(cat "$WORK/victim.log")" "crashed by signal: 6" "before the patch: ... by an assert() in _sdsnewlen (its crash log)"

# --- the server under test ---
start_redis server
SPID=$RPID
is "$(info $PORT server redis_version)" 7.0.15 "redis-server 7.0.15 runs on 127.0.0.1:$PORT (pid $SPID)"
is "$(r $PORT 'SET uklp:before "written before the patch"')" OK "a key written before the patch"
r $PORT 'HSET uklp:hash a 1 b 2' >/dev/null
is "$(r $PORT "RESTORE bad1 0 $ZIPMAP_FIELD")" OK \
	"before the patch: RESTORE stores a corrupt zipmap (5-byte length of a field)"
is "$(r $PORT 'EXISTS bad1')" 1 "before the patch: the corrupt hash is in the database"
r $PORT 'DEL bad1' >/dev/null
errors_before=$(info $PORT stats total_error_replies)

# --- traffic: 8 clients, 4 x 200000 requests, at most 3 minutes ---
timeout 180 "$BIN/redis-benchmark" -h 127.0.0.1 -p $PORT -c 8 -n 200000 \
	-t set,get,incr,lpush --csv >"$WORK/bench.out" 2>"$WORK/bench.err" &
BPID=$!
n0=$(info $PORT stats total_commands_processed)
for i in $(seq 100); do
	n=$(info $PORT stats total_commands_processed)
	[ $((n - n0)) -gt 20000 ] && break
	sleep 0.1
done
ok "redis-benchmark is running: $((n - n0)) commands served before the load"

# --- the patch: the symbols of what runs, compile, convert, load ---
uklp symbols -p $SPID -o "$WORK/redis.syms"
is "$RC" 0 "uklp symbols -p: the symbol database of the running server"
[ $RC -ne 0 ] && diag "$ERR"
cc -c -O2 -g -fPIC -Wall -Werror -I"$TOP/include" -I"$BIN" \
	"$SRVDIR/fix-cve-2026-25243.c" -o "$WORK/fix.o" 2>"$WORK/cc.err"
is "$?" 0 "the patch compiles against redis's own headers"
[ -s "$WORK/cc.err" ] && diag "$(cat "$WORK/cc.err")"
uklp convert --symbols "$WORK/redis.syms" "$WORK/fix.o" "$WORK/fix-cve-2026-25243.klp.o"
is "$RC" 0 "uklp convert"
[ $RC -ne 0 ] && diag "$ERR"

alive $BPID
is "$?" 0 "the traffic is still running when the load starts"
t0=$(ms)
uklp load -v -p $SPID "$WORK/fix-cve-2026-25243.klp.o"
t1=$(ms)
is "$RC" 0 "uklp load exits 0 while the server serves traffic"
[ $RC -ne 0 ] && diag "$ERR"
stopped=$(grep -o 'threads stopped for [0-9.]* us' <<<"$ERR" | grep -o '[0-9.]* us')
tries=$(grep -o 'after [0-9]* tries' <<<"$ERR" | grep -o '[0-9]*')
diag "uklp load: $((t1 - t0)) ms wall, threads stopped for ${stopped:-?}, switched after ${tries:-?} tries"
alive $BPID
is "$?" 0 "the traffic is still running after the load"

# --- the new behaviour ---
is "$(r $PORT "RESTORE bad2 0 $ZIPMAP_FIELD")" "ERR Bad data format" \
	"patched: the corrupt zipmap (field) is refused"
is "$(r $PORT "RESTORE bad3 0 $ZIPMAP_VALUE")" "ERR Bad data format" \
	"patched: the corrupt zipmap (value) is refused"
is "$(r $PORT "RESTORE t 0 $HUGE_STRING")" "ERR Bad data format" \
	"patched: the huge string length is refused"
is "$(r $PORT PING)" PONG "patched: the server lives on"
is "$(r $PORT 'EXISTS bad2 bad3 t')" 0 "patched: nothing was stored"
is "$(r $PORT 'SET uklp:during "written while patched"')" OK "patched: SET"

uklp list -p $SPID
like "$OUTPUT" "^fix-cve-2026-25243 \[enabled\]" "uklp list shows the patch enabled"
like "$OUTPUT" "vmlinux:_sdsnewlen,0 0x[0-9a-f]+ -> 0x[0-9a-f]+" "uklp list: _sdsnewlen switched"
like "$OUTPUT" "vmlinux:zipmapValidateIntegrity,0 0x[0-9a-f]+ -> 0x[0-9a-f]+" \
	"uklp list: zipmapValidateIntegrity switched"

# --- the traffic ---
wait $BPID
is "$?" 0 "redis-benchmark exits 0"
[ -s "$WORK/bench.err" ] && diag "$(head -5 "$WORK/bench.err")"
like "$(tr '\n' ' ' <"$WORK/bench.out")" '"SET",.*"GET",.*"INCR",.*"LPUSH",' \
	"redis-benchmark completed SET, GET, INCR and LPUSH"
diag "$(tr -d '"' <"$WORK/bench.out" | awk -F, 'NR > 1 {printf "%s %s req/s  ", $1, $2}')"
# The only error replies are the three refused RESTOREs: no request of the
# traffic failed.
is "$(info $PORT stats total_error_replies)" $((errors_before + 3)) "no error reply other than the three RESTOREs"
is "$(info $PORT stats rejected_connections)" 0 "no rejected connection"
is "$(r $PORT 'GET uklp:before')" "written before the patch" "the key written before the patch is still there"
is "$(r $PORT 'HGET uklp:hash b')" 2 "and the hash"
like "$(r $PORT 'GET counter:__rand_int__')" '^[0-9]+$' "and the keys of the traffic (INCR counter)"

# --- unload: the old code again ---
uklp unload -p $SPID fix-cve-2026-25243
is "$RC" 0 "uklp unload"
[ $RC -ne 0 ] && diag "$ERR"
uklp list -p $SPID
like "$OUTPUT" "no patches" "uklp list: no patches after unload"
is "$(r $PORT "RESTORE bad4 0 $ZIPMAP_FIELD")" OK "unloaded: the old behaviour is back (the corrupt zipmap is stored)"
is "$(r $PORT 'GET uklp:during')" "written while patched" "unloaded: the server still answers"

r $PORT 'SHUTDOWN NOSAVE' >/dev/null
wait $SPID
is "$?" 0 "redis-server shuts down normally"

done_testing
