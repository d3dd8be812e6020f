#!/bin/sh
# `make run`: the daemon in the foreground with built-in defaults, tracing every
# process on this host; a status line every 10 seconds; Ctrl-C stops it. When
# vmatrace is not installed, its socket, journal and alert log live under build/run.
# In another terminal:  build/vmatrace status --socket build/run/vmatrace.sock
set -eu
BUILD=${BUILD:-build}
if [ "$(id -u)" != 0 ]; then
	echo "make run: vmatrace loads BPF programs and needs root; re-running with sudo" >&2
	exec sudo BUILD="$BUILD" "$0" "$@"
fi
run="$BUILD/run"
mkdir -p "$run"
echo "vmatrace: daemon on $run/vmatrace.sock, journal in $run/journal, alerts in $run/alerts.jsonl." >&2
echo "  try: $BUILD/vmatrace status --socket $run/vmatrace.sock" >&2
echo "       $BUILD/vmatrace snapshot --socket $run/vmatrace.sock -p PID --census" >&2
echo "       $BUILD/vmatrace report --journal-dir $run/journal --format html -o report.html" >&2
exec "$BUILD/vmatrace" daemon --foreground --config /dev/null \
	--socket "$run/vmatrace.sock" --journal-dir "$run/journal" --alert-log "$run/alerts.jsonl" \
	--status-interval 10s "$@"
