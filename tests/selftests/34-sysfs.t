#!/bin/bash
# What /sys/kernel/livepatch shows, as `uklp list` and `uklp info` show it
# (the kernel's test-sysfs.sh): every field, in text and in JSON (parsed
# with perl's JSON::PP, so that the output is valid JSON, not just text
# that looks like it).
. "$(dirname "$0")/functions.sh"
plan 25

# json EXPR: evaluate a perl expression on the parsed $OUTPUT ($j).
json() { perl -MJSON::PP -e 'my $j = decode_json(join "", <STDIN>); my $v = eval $ARGV[0]; die $@ if $@; print defined $v ? (ref $v ? encode_json($v) : $v) : "null"' "$1" <<<"$OUTPUT"; }

start_target target
uklp list -p $TPID --json
is "$(json '$j->{runtime} ? 1 : 0') $(json 'scalar @{$j->{patches}}')" "0 0" "no runtime, no patches yet"

cp "$OUT/livepatch-sample.o" "$WORK/lp-top.o"
uklp load -p $TPID "$OUT/livepatch-sample.o"
uklp load -p $TPID "$OUT/lp-lib.o"
uklp load -p $TPID "$WORK/lp-top.o"
uklp list -p $TPID --json
is "$(json '$j->{pid}')" "$TPID" "json: pid"
is "$(json 'join ",", map { $_->{name} } @{$j->{patches}}')" "livepatch-sample,lp-lib,lp-top" "json: patches in load order"
is "$(json 'join ",", map { $_->{stack} } @{$j->{patches}}')" "1,2,3" "json: place in the stack"
is "$(json '$j->{patches}[0]{state}') $(json '$j->{patches}[0]{enabled}') $(json '$j->{patches}[0]{transition}')" \
	"enabled true false" "json: state, enabled, transition"
is "$(json '$j->{patches}[0]{forced}') $(json '$j->{patches}[0]{replace}')" "false false" "json: forced, replace"
like "$(json '$j->{patches}[1]{file}')" "/lp-lib\.o$" "json: file"
like "$(json '$j->{patches}[1]{base}')" "^0x[0-9a-f]+$" "json: base"
is "$(json '$j->{patches}[1]{funcs}[0]{object}'):$(json '$j->{patches}[1]{funcs}[0]{old_name}'):$(json '$j->{patches}[1]{funcs}[0]{old_sympos}')" \
	"libtarget.so.1:lib_answer:0" "json: function object, name, sympos"
is "$(json '$j->{patches}[0]{funcs}[0]{running}')" "lp-top" "json: the stacked function runs the newest patch"
is "$(json '$j->{patches}[2]{funcs}[0]{running}')" "lp-top" "json: ... as the newest patch says too"
is "$(json '$j->{patches}[1]{funcs}[0]{switch}')" "jmp" "json: switch form"
now=$(date +%s); at=$(json '$j->{patches}[0]{loaded_at}')
is "$(( now - at < 60 && at <= now ))" 1 "json: loaded_at is a time of this minute"

uklp list -p $TPID
like "$OUTPUT" "livepatch-sample \[enabled\] .*livepatch-sample\.o \(loaded [0-9-]+ [0-9:]+\)" "text: a patch line"
like "$OUTPUT" "vmlinux:answer,0 0x[0-9a-f]+ -> 0x[0-9a-f]+ \(patch 'lp-top' runs\)" "text: which patch runs"
uklp info -p $TPID lp-lib
is "$RC" 0 "info"
like "$OUTPUT" "stack: 2 of 3" "info: place in the stack"
like "$OUTPUT" "image: 0x[0-9a-f]+, [0-9]+ bytes" "info: the image"
like "$OUTPUT" "libtarget.so.1:lib_answer,0 0x[0-9a-f]+ -> 0x[0-9a-f]+ \[jmp switch at 0x[0-9a-f]+\]" "info: function and switch"
uklp info -p $TPID --json lp-top
is "$(json '$j->{name}') $(json '$j->{stack}')" "lp-top 3" "info --json: one patch of the list's schema"
is "$(json 'exists $j->{manifest} ? 1 : 0'):$(json '$j->{manifest}')" "1:null" "info --json: no manifest in a hand-written patch"
uklp info -p $TPID nothing
is "$RC" 1 "info of a patch that is not loaded: exit 1"
like "$ERR" "patch 'nothing' is not loaded in process $TPID" "... with a message"
uklp info -p $TPID
is "$RC" 2 "info without a name: bad usage"
for n in lp-top lp-lib livepatch-sample; do uklp unload -p $TPID $n; done
uklp list -p $TPID --json
is "$(json 'scalar @{$j->{patches}}') $(json '$j->{runtime} ? 1 : 0')" "0 1" "all gone; the runtime stays"
stop_target
done_testing
