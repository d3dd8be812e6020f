#!/bin/sh
# Make docs/report-example.png from a real run: the daemon with a journal of its
# own, scenario 1's workload (tests/workloads/vma_explode: munmap splits VMAs
# until it fails with ENOMEM at vm.max_map_count), held at the limit for a
# while, then `vmatrace report --format html` of it, rendered by headless
# Chromium. Needs root (BPF), a build (`make all`) and chromium
# (scripts/setup.sh installs it).
#
#   scripts/report-screenshot.sh [OUTPUT.png]     (default docs/report-example.png)
#   HOLD=20 keeps the workload at the limit for 20 s (default 15).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/docs/report-example.png}
hold=${HOLD:-15}
bin=$root/build/vmatrace
workload=$root/build/workloads/vma_explode
chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}

for f in "$bin" "$workload"; do
	[ -x "$f" ] || { echo "report-screenshot: $f is missing: run 'make all' first" >&2; exit 1; }
done
[ -n "$chromium" ] || { echo "report-screenshot: chromium is missing: run scripts/setup.sh" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "report-screenshot: the daemon needs root" >&2; exit 1; }

work=$(mktemp -d /tmp/vmatrace-screenshot-XXXXXX)
daemon_pid=
workload_pid=
cleanup() {
	[ -n "$workload_pid" ] && kill -KILL "$workload_pid" 2>/dev/null
	[ -n "$daemon_pid" ] && kill -TERM "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$bin" daemon --foreground --socket "$work/ctl.sock" --journal-dir "$work/journal" \
	--timeline-resolution 1s --ringbuf-size 256M 2>"$work/daemon.log" &
daemon_pid=$!
i=0
until "$bin" status --socket "$work/ctl.sock" >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -gt 200 ] || ! kill -0 "$daemon_pid" 2>/dev/null; then
		cat "$work/daemon.log" >&2
		echo "report-screenshot: the daemon did not start" >&2
		exit 1
	fi
	sleep 0.05
done

# The workload stops itself (SIGSTOP) after mapping its pages and after the munmaps that
# failed: a few seconds at the first stop, $hold seconds at the limit.
VMATRACE_CHECKPOINT_STOP=1 "$workload" >"$work/workload.out" &
workload_pid=$!
for pause in 3 "$hold"; do
	i=0
	until grep -q '^State:[[:space:]]*T' "/proc/$workload_pid/status" 2>/dev/null; do
		i=$((i + 1))
		[ $i -le 1200 ] || { echo "report-screenshot: the workload did not stop" >&2; exit 1; }
		sleep 0.05
	done
	sleep "$pause"
	kill -CONT "$workload_pid"
done
wait "$workload_pid" || { echo "report-screenshot: the workload failed" >&2; exit 1; }
workload_pid=
sleep 2
kill -TERM "$daemon_pid"
wait "$daemon_pid" || true
daemon_pid=

"$bin" report --journal-dir "$work/journal" --comm vma_explode --format html \
	-o "$work/report.html"
# Its own process group, so that every Chromium process goes when it is done or killed.
setsid "$chromium" --headless --no-sandbox --disable-gpu --no-first-run \
	--no-default-browser-check --disable-extensions --hide-scrollbars \
	--user-data-dir="$work/profile" --window-size=1100,1250 \
	--screenshot="$work/report.png" "file://$work/report.html" >"$work/chromium.log" 2>&1 ||
	{ cat "$work/chromium.log" >&2; echo "report-screenshot: chromium failed" >&2; exit 1; }
cp "$work/report.png" "$out"
echo "report-screenshot: wrote $out ($(cat "$work/workload.out" | head -1))"
