#!/bin/sh
# Run every libFuzzer harness in DIR (build/fuzz/fuzz_*): first the regression inputs of
# tests/fuzz/regress/NAME/ once each (crashes found before, now fixed), then FUZZ_SECONDS
# of fuzzing from the seed corpus tests/fuzz/corpus/NAME/. New inputs go to a scratch
# corpus (kept in DIR/corpus/NAME with FUZZ_KEEP=1, else removed); a crash is saved in
# DIR/crashes/ and fails the run: add it to tests/fuzz/regress/NAME/ once fixed.
set -eu
dir=${1:-build/fuzz}
secs=${FUZZ_SECONDS:-60}
keep=${FUZZ_KEEP:-0}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$dir/crashes"
status=0
for bin in "$dir"/fuzz_*; do
	[ -x "$bin" ] || continue
	case $bin in *.d) continue ;; esac
	name=${bin##*/fuzz_}
	seeds=$root/tests/fuzz/corpus/$name
	regress=$root/tests/fuzz/regress/$name
	if [ -d "$regress" ] && [ -n "$(ls -A "$regress")" ]; then
		if ! "$bin" -runs=0 "$regress"/* >"$dir/$name.regress.log" 2>&1; then
			echo "fuzz $name: a regression input fails again (see $dir/$name.regress.log)" >&2
			status=1
			continue
		fi
	fi
	if [ "$keep" = 1 ]; then
		work=$dir/corpus/$name
		mkdir -p "$work"
	else
		work=$(mktemp -d /tmp/vmatrace-fuzz-corpus.XXXXXX)
	fi
	if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$dir/crashes/$name-" "$work" "$seeds" >"$dir/$name.log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/$name.log")
		echo "fuzz $name: ${runs:-?} inputs in ${secs}s, no crash"
	else
		echo "fuzz $name: CRASH (see $dir/$name.log; inputs in $dir/crashes/)" >&2
		tail -30 "$dir/$name.log" >&2
		status=1
	fi
	[ "$keep" = 1 ] || rm -rf "$work"
done
exit $status
