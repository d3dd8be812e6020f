#!/bin/sh
# Every header compiles on its own (it includes what it uses): one translation unit per header.
# Usage: scripts/check-headers.sh [BUILD_DIR]  (the build dir holds the generated skeleton)
build=${1:-build}
rc=0
for h in include/*.h; do
	if ! echo "#include \"$h\"" | ${CC:-gcc} -fsyntax-only -std=gnu11 -Wall -Wextra -Werror \
		-D_GNU_SOURCE -I. -Iinclude -I"$build" -x c -; then
		echo "$h does not compile on its own" >&2
		rc=1
	fi
done
exit $rc
