#!/bin/bash
# uklp build on a real security fix in a program, loaded while it serves:
# the MQTT broker mosquitto 2.0.11 from Debian 12's source package, built
# with its CMake build and dpkg-buildflags (real/mosquitto.sh), and the
# lib/packet_mosq.c part of Debian's patch for CVE-2023-0809 in
# packet__read(): a client that never sent CONNECT could announce a
# packet of any size, and the broker allocated it and waited for it.
#
#   before: one 9-byte packet (PUBLISH, remaining length 243 MB, never
#           sent) keeps its connection and grows the broker by 243 MB
#   traffic: mosquitto_sub and mosquitto_pub (QoS 1) through the broker
#   uklp build --target the running broker, uklp load under that traffic
#   after: the same packet is a protocol error, its connection closed at
#          once, no memory taken; clients still connect and publish
#   every message published during the build and the load arrives, once;
#   unload brings the old behaviour back; the broker stops normally
#
# Skips when the source cannot be fetched here (no apt, no network); a
# build that fails is a failure.
. "$(dirname "$0")/functions.sh"

REAL="$TOP/tests/selftests/real"
D="$OUT/real/mosquitto"
"$REAL/mosquitto.sh" "$D" >"$WORK/fetch.out" 2>&1
case $? in
0) ;;
77) echo "1..0 # SKIP $(tail -1 "$WORK/fetch.out")"; exit 0 ;;
*) diag "$(tail -20 "$WORK/fetch.out")"; echo "Bail out! real/mosquitto.sh failed"; exit 1 ;;
esac
plan 23
diag "$(tail -1 "$WORK/fetch.out")"
. "$D/env"
FIX="$D/fix-CVE-2023-0809.patch"
B="$D/user/obj"

vmsize() { awk '/^VmSize:/ {print $2}' "/proc/$1/status"; }	# kB

# The reproducer: a PUBLISH as first packet, remaining length 0x74 << 21
# (243,269,632 bytes), 4 bytes of it sent.  Prints "open" when the broker
# still holds the connection 2 seconds later, "closed" when it closed it,
# and the broker's growth in MB meanwhile.
repro() {
	local v0 st
	v0=$(vmsize "$MPID")
	exec 5<>"/dev/tcp/127.0.0.1/$PORT" || { echo "no connection"; return; }
	printf '\x30\x80\x80\x80\x74abcd' >&5
	read -r -t 2 -u 5 _ 2>/dev/null
	st=$?
	echo "$([ $st -gt 128 ] && echo open || echo closed) $((($(vmsize "$MPID") - v0) / 1024)) MB"
	exec 5<&- 5>&-
}

# ---- the broker ----
for try in 1 2 3; do
	PORT=$(free_port)
	printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nuser root\nlog_dest stderr\nlog_type all\n' \
		"$PORT" >"$WORK/m.conf"
	"$B/src/mosquitto" -c "$WORK/m.conf" 2>"$WORK/broker.log" &
	MPID=$!
	TARGETS+=("$MPID")
	for i in $(seq 50); do
		grep -q 'mosquitto version 2.0.11 running' "$WORK/broker.log" && break 2
		alive "$MPID" || break
		sleep 0.1
	done
	kill -9 "$MPID" 2>/dev/null
done
like "$(cat "$WORK/broker.log")" "mosquitto version 2\\.0\\.11 running" "the broker runs (pid $MPID, 127.0.0.1:$PORT)"

like "$(repro)" "^open 2[0-9]{2} MB$" "before: a new client's 9-byte PUBLISH holds its connection and 243 MB of the broker"
alive "$MPID"
is "$?" 0 "... the broker lives on"

# ---- traffic: one subscriber, one publisher, QoS 1, for the build and the load ----
STOP="$WORK/stop"
"$B/client/mosquitto_sub" -h 127.0.0.1 -p "$PORT" -q 1 -i uklp-sub -t uklp/t >"$WORK/sub.out" 2>"$WORK/sub.err" &
SUB=$!
for i in $(seq 50); do grep -q 'Sending SUBACK to uklp-sub' "$WORK/broker.log" && break; sleep 0.1; done
gen() { # at most 20000 messages, 2 ms apart, until STOP
	local i
	for ((i = 1; i <= 20000; i++)); do
		echo "m$i"
		[ -e "$STOP" ] && break
		sleep 0.002
	done
	echo $((i > 20000 ? 20000 : i)) >"$WORK/sent"
}
gen | "$B/client/mosquitto_pub" -h 127.0.0.1 -p "$PORT" -q 1 -i uklp-pub -t uklp/t -l 2>"$WORK/pub.err" &
PUB=$!
for i in $(seq 100); do [ "$(wc -l <"$WORK/sub.out")" -gt 20 ] && break; sleep 0.1; done
like "$(wc -l <"$WORK/sub.out")" "^[1-9][0-9]+$" "traffic flows: messages published and received before the build"

t0=$(date +%s%N)
uklp build -v -j "$(nproc)" --source "$D/vuln" --build "$BUILD" --cache-dir "$WORK/cache" \
	--target "$B/src/mosquitto" "$FIX" -o "$WORK/fix-mosquitto.klp.o"
t1=$(date +%s%N)
is "$RC" 0 "uklp build of Debian's fix, --target the running broker, exits 0"
[ "$RC" -ne 0 ] && diag "$(tail -20 <<<"$ERR")"
diag "uklp build (original and fixed CMake builds): $(((t1 - t0) / 1000000)) ms"
like "$ERR" "fix-mosquitto\\.klp\\.o: 1 object\\(s\\) changed \\(lib/packet_mosq\\.c -> vmlinux\\), 1 function\\(s\\) changed, 0 new" \
	"the patch: lib/packet_mosq.c into the program, one function changed (packet__read)"
like "$ERR" "lib/packet_mosq\\.c: hunk #1 applied at line 396 \\(offset 16 lines\\)" \
	"Debian's hunk applies 16 lines from where it says (the patches before it in the series)"
like "$ERR" "libmosquitto\\.dir/packet_mosq\\.c\\.o \\(lib/packet_mosq\\.c\\) compiled again, to the same bytes: unchanged" \
	"the client library's packet_mosq.c (no WITH_BROKER) compiles to the same bytes: left out"
like "$ERR" "check: in the changed object: packet__read \\(lib/packet_mosq\\.c\\): [0-9]+ bytes.* the same in" \
	"the check: packet__read of the rebuilt original is the running one's"

alive "$PUB"
is "$?" 0 "the publisher is still running when the load starts"
n1=$(wc -l <"$WORK/sub.out")
uklp load -v -p "$MPID" "$WORK/fix-mosquitto.klp.o"
is "$RC" 0 "uklp load into the broker under traffic"
[ "$RC" -ne 0 ] && diag "$ERR"
diag "$(grep -o 'threads stopped for [0-9.]* us; switched after [0-9]* tries' <<<"$ERR")"
sleep 0.5
n2=$(wc -l <"$WORK/sub.out")
like "$((n2 - n1))" "^[1-9][0-9]*$" "messages delivered across the load: $((n2 - n1))"

like "$(repro)" "^closed [0-9] MB$" "after: the same packet closes its connection at once, no memory taken"
is "$(grep -c 'Client <unknown> disconnected due to protocol error' "$WORK/broker.log")" 1 \
	"... a protocol error, says the broker (once: the only one)"
is "$(timeout 10 "$B/client/mosquitto_pub" -h 127.0.0.1 -p "$PORT" -q 1 -t uklp/one -m hello 2>&1; echo $?)" 0 \
	"after: a client connects and publishes as before"
uklp list -p "$MPID"
like "$OUTPUT" "fix-mosquitto \\[enabled, replace\\]" "uklp list: the patch"
like "$OUTPUT" "vmlinux:packet__read,0 0x[0-9a-f]+ -> 0x[0-9a-f]+" "... packet__read switched"

touch "$STOP"
wait "$PUB"
is "$?" 0 "mosquitto_pub exits 0"
sent=$(cat "$WORK/sent")
for i in $(seq 100); do [ "$(wc -l <"$WORK/sub.out")" -ge "$sent" ] && break; sleep 0.1; done
kill "$SUB" 2>/dev/null
wait "$SUB" 2>/dev/null
is "$(sort -u "$WORK/sub.out" | wc -l) $(wc -l <"$WORK/sub.out")" "$sent $sent" \
	"all $sent messages published during the build and the load arrived, each once"
is "$(seq -f 'm%.0f' 1 "$sent" | sort | comm -3 - <(sort -u "$WORK/sub.out") | head -3)" "" \
	"... m1 to m$sent, none missing"

# ---- unload ----
uklp unload -p "$MPID" fix-mosquitto
is "$RC" 0 "uklp unload"
like "$(repro)" "^open 2[0-9]{2} MB$" "unloaded: the old behaviour is back"
kill -TERM "$MPID"
wait "$MPID"
is "$?" 0 "the broker stops normally (SIGTERM)"

done_testing
