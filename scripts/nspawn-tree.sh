#!/bin/sh
# A minimal Debian 12 tree for booting vmatrace's unit under a real systemd
# (systemd-nspawn -b): debootstrap once, cached in DIR (default
# /var/cache/vmatrace-nspawn/bookworm), reused after. Packages come from the
# mirror apt is configured with. Exit 77 with the reason when it cannot be made.
set -eu
dir=${1:-/var/cache/vmatrace-nspawn/bookworm}
[ -x "$dir/lib/systemd/systemd" ] && [ -e "$dir/.vmatrace-tree-done" ] && exit 0
command -v debootstrap >/dev/null || { echo "no debootstrap (scripts/setup.sh installs it)"; exit 77; }
mirror=$(sed -n 's/^URIs: *\(http[^ ]*debian\)\/* *$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
[ -n "$mirror" ] || mirror=$(sed -n 's/^deb \(http[^ ]*\) bookworm .*/\1/p' /etc/apt/sources.list 2>/dev/null | head -1)
mirror=${mirror:-http://deb.debian.org/debian}
# What the daemon links against, and systemd to boot.
pkgs=systemd,systemd-sysv,dbus,libbpf1,libelf1,zlib1g,libsystemd0,libmicrohttpd12,libjansson4,libdw1,libstdc++6,libcap-ng0,procps
mkdir -p "$(dirname "$dir")"
tmp=$dir.partial
echo "nspawn tree: debootstrap bookworm into $dir from $mirror (once; a few minutes)" >&2
if ! debootstrap --variant=minbase --include="$pkgs" bookworm "$tmp" "$mirror" >"$tmp.log" 2>&1; then
	echo "debootstrap failed (see $tmp.log): $(tail -1 "$tmp.log")"
	exit 77
fi
rm -rf "$dir"
mv "$tmp" "$dir"
mv "$tmp.log" "$dir.log"
touch "$dir/.vmatrace-tree-done"
