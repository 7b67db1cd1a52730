#!/bin/bash
# perf names patch code: a loaded patch's functions are listed in
# /tmp/perf-PID.map (perf's map for anonymous executable memory), so that
# `perf report` shows the patch's function, not an address in [anon]; its
# lines go when the patch is unloaded, the lines of others (a JIT's) stay;
# a map that is a link or another user's file is not touched.
. "$(dirname "$0")/functions.sh"
plan 19

# map_lines PID: the map's lines of patch lp-perf
map_lines() { grep ' \[uklp:lp-perf\]$' "/tmp/perf-$1.map" 2>/dev/null; }

start_target busy
MAP=/tmp/perf-$TPID.map
rm -f "$MAP"
is "$(cmd spin 1)" "spinning 1" "a thread calls answer() in a loop"
uklp load -p "$TPID" "$OUT/lp-perf.o"
is "$RC" 0 "lp-perf loads"
is "$(cmd answer 21)" 42 "... and answers as before"
lines=$(map_lines "$TPID")
like "$lines" "^[0-9a-f]+ [0-9a-f]+ perf_answer \[uklp:lp-perf\]" "the map names perf_answer"
like "$lines" "[0-9a-f]+ [0-9a-f]+ perf_helper \[uklp:lp-perf\]" "... and the patch's other function"
is "$(stat -c %U:%a "$MAP")" "root:644" "... in a map of root's that perf reads"
# perf_answer's line falls inside an executable anonymous mapping
addr=$((16#$(awk '/ perf_answer /{print $1}' <<<"$lines")))
inmap=no
while read -r range perms _ _ _ path; do
	lo=$((16#${range%-*})) hi=$((16#${range#*-}))
	[[ $perms == *x* && -z $path && $addr -ge $lo && $addr -lt $hi ]] && inmap=yes
done <"/proc/$TPID/maps"
is "$inmap" yes "... at an address of patch code in the process (anonymous, executable)"

# What perf sees (a machine may forbid perf_event_open: skipped then)
if command -v perf >/dev/null &&
   timeout 30 perf record -q -e cpu-clock -p "$TPID" -o "$WORK/perf.data" -- sleep 1 \
	>"$WORK/perf.log" 2>&1; then
	report=$(perf report -i "$WORK/perf.data" --stdio --sort sym 2>/dev/null)
	like "$report" "perf_answer \[uklp:lp-perf\]" "perf report names the patch's function"
else
	ok "perf report names the patch's function # SKIP perf cannot record here: $(tail -1 "$WORK/perf.log" 2>/dev/null)"
fi

is "$(cmd spin 0)" "spinning 0" "the thread stops calling answer()"
uklp unload -p "$TPID" lp-perf
is "$RC" 0 "lp-perf unloads"
is "$(ls "$MAP" 2>&1 >/dev/null | grep -c 'No such file')" 1 "... and the map, which held only its lines, is gone"

# Atomic replace: the replaced patch's lines go with its code.
uklp load -p "$TPID" "$OUT/lp-perf.o"
uklp load -p "$TPID" "$OUT/lp-perf2.o"
is "$RC:$(map_lines "$TPID" | wc -l):$(grep -c 'perf2_answer \[uklp:lp-perf2\]$' "$MAP")" "0:0:1" \
	"atomic replace: the replaced patch's lines go, the new patch's come"
uklp unload -p "$TPID" lp-perf2
rm -f "$MAP"

# A map that the process writes too (a JIT's): its lines stay, in order.
printf '1000 10 jit_one\n2000 20 jit_two\n' >"$MAP"
chmod 600 "$MAP"
uklp load -p "$TPID" "$OUT/lp-perf.o"
is "$(head -2 "$MAP"):$(tail -n +3 "$MAP" | grep -c ' \[uklp:lp-perf\]$')" \
	"$(printf '1000 10 jit_one\n2000 20 jit_two'):2" "the patch's lines go after the process's own"
uklp unload -p "$TPID" lp-perf
is "$(cat "$MAP")" "$(printf '1000 10 jit_one\n2000 20 jit_two')" "unload takes out only the patch's lines"
is "$(stat -c %U:%a "$MAP")" "root:600" "... and the map keeps its owner and mode"

# Maps uklp must not write: a link to another file, a file with a
# second link, a file of a third user (neither root nor the process's).
rm -f "$MAP"
echo "1000 10 victim" >"$WORK/victim"
ln -s "$WORK/victim" "$MAP"
uklp load -p "$TPID" "$OUT/lp-perf.o"
is "$RC:$(cat "$WORK/victim")" "0:1000 10 victim" "a map that is a symbolic link is not followed (the load works)"
uklp unload -p "$TPID" lp-perf
rm -f "$MAP"
printf '3000 30 other\n' >"/tmp/uklp-perf-other.$$"
if ln "/tmp/uklp-perf-other.$$" "$MAP"; then
	uklp load -p "$TPID" "$OUT/lp-perf.o"
	is "$RC:$(cat "/tmp/uklp-perf-other.$$")" "0:3000 30 other" "a map with a second link is not written"
	uklp unload -p "$TPID" lp-perf
else
	ok "a map with a second link is not written # SKIP cannot link in /tmp"
fi
rm -f "$MAP" "/tmp/uklp-perf-other.$$"
printf '4000 40 third\n' >"$MAP"
chown nobody "$MAP"
uklp load -p "$TPID" "$OUT/lp-perf.o"
is "$RC:$(cat "$MAP")" "0:4000 40 third" "a map of a third user is left alone (the load works)"
uklp unload -p "$TPID" lp-perf
is "$RC:$(cat "$MAP")" "0:4000 40 third" "... and so is it at unload"
rm -f "$MAP"
stop_target
done_testing
