#!/bin/sh
# `make run`: trace every process on this host, print failed memory-mapping
# calls as they happen and a summary every 5 seconds, until Ctrl-C.
set -eu
BUILD=${BUILD:-build}
if [ "$(id -u)" != 0 ]; then
	echo "make run: vmatrace loads BPF programs and needs root; re-running with sudo" >&2
	exec sudo BUILD="$BUILD" "$0" "$@"
fi
echo "vmatrace: tracing all processes; failed calls below, summary every 5 s on stderr. Ctrl-C stops." >&2
exec "$BUILD/vmatrace" trace -a --errors --summary-interval 5 "$@"
