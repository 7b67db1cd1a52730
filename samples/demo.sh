#!/bin/bash
# The uklp demo: start a program, live-patch it, show before and after,
# then take the patch out again.  Run by `make demo`.
set -eu
cd "$(dirname "$0")"
UKLP=../bin/uklp
log=$(mktemp)
out/counter >"$log" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$log"' EXIT
sleep 1
echo "== the program runs (pid $pid):"
tail -n 3 "$log"
echo
echo "== uklp load -p $pid out/livepatch-greeting.o"
start=$(date +%s%N)
$UKLP load -p $pid out/livepatch-greeting.o
echo "   ($(( ($(date +%s%N) - start) / 1000000 )) ms, the program never stopped counting)"
sleep 1
echo
echo "== after the patch:"
tail -n 3 "$log"
echo
echo "== uklp list -p $pid"
$UKLP list -p $pid
echo
echo "== uklp unload -p $pid livepatch-greeting"
$UKLP unload -p $pid livepatch-greeting
sleep 1
echo
echo "== after unload:"
tail -n 3 "$log"
