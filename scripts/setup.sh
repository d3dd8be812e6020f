#!/bin/sh
# Install the Debian packages vmatrace needs to build, run and test: only the
# missing ones, so a second run does nothing. Needs root (or sudo) to install.
set -eu

# package:command-or-file that proves it is there
needs="
clang:/usr/bin/clang
llvm:/usr/bin/llvm-strip
bpftool:/usr/sbin/bpftool
libbpf-dev:/usr/include/bpf/libbpf.h
libelf-dev:/usr/include/libelf.h
zlib1g-dev:/usr/include/zlib.h
libcriterion-dev:/usr/include/criterion/criterion.h
pkg-config:/usr/bin/pkg-config
libsystemd-dev:/usr/include/systemd/sd-daemon.h
systemd:/usr/bin/systemd-analyze
make:/usr/bin/make
gcc:/usr/bin/gcc
strace:/usr/bin/strace
hyperfine:/usr/bin/hyperfine
libmicrohttpd-dev:/usr/include/microhttpd.h
libjansson-dev:/usr/include/jansson.h
libdw-dev:/usr/include/elfutils/libdwfl.h
g++:/usr/bin/g++
jq:/usr/bin/jq
clang-format:/usr/bin/clang-format
prometheus:/usr/bin/prometheus
qemu-system-x86:/usr/bin/qemu-system-x86_64
busybox-static:/bin/busybox
cpio:/usr/bin/cpio
chromium:/usr/bin/chromium
libcap-ng-dev:/usr/include/cap-ng.h
libclang-rt-14-dev:/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a
debootstrap:/usr/sbin/debootstrap
systemd-container:/usr/bin/systemd-nspawn
"

missing=""
for n in $needs; do
	pkg=${n%%:*}
	file=${n#*:}
	if [ ! -e "$file" ] && ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $pkg"
	fi
done

if [ -z "$missing" ]; then
	exit 0
fi

echo "setup: installing$missing"
if [ "$(id -u)" = 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null; then
	SUDO="sudo"
else
	echo "setup: missing packages:$missing (run as root, or install them)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists only when they are absent or older than a day.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -1)" ]; then
	$SUDO apt-get update -qq
fi
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "setup: done"
