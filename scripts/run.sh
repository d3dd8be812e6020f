#!/bin/sh
# `make run`: the daemon in the foreground, tracing every process on this host and
# keeping the live model; a status line every 10 seconds. Ctrl-C stops it.
# In another terminal:  build/vmatrace status --socket build/run/vmatrace.sock
set -eu
BUILD=${BUILD:-build}
if [ "$(id -u)" != 0 ]; then
	echo "make run: vmatrace loads BPF programs and needs root; re-running with sudo" >&2
	exec sudo BUILD="$BUILD" "$0" "$@"
fi
mkdir -p "$BUILD/run"
sock="$BUILD/run/vmatrace.sock"
echo "vmatrace: daemon on $sock; try '$BUILD/vmatrace status --socket $sock'," \
	"'$BUILD/vmatrace snapshot --socket $sock -p PID --census'. Ctrl-C stops." >&2
exec "$BUILD/vmatrace" daemon --foreground --socket "$sock" --status-interval 10 "$@"
