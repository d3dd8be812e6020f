#!/bin/sh
# Regenerate vmlinux.h from the running kernel's BTF (or from a BTF file given as $1).
# The result is committed so that a build does not depend on the build host's kernel.
set -eu
btf=${1:-/sys/kernel/btf/vmlinux}
out=${2:-$(dirname "$0")/../vmlinux.h}
if [ ! -r "$btf" ]; then
	echo "gen-vmlinux-h: cannot read BTF at $btf (kernel built without CONFIG_DEBUG_INFO_BTF?)" >&2
	exit 2
fi
command -v bpftool >/dev/null || { echo "gen-vmlinux-h: bpftool not found (apt-get install bpftool)" >&2; exit 2; }
tmp=$(mktemp "$out.XXXXXX")
trap 'rm -f "$tmp"' EXIT
bpftool btf dump file "$btf" format c >"$tmp"
mv "$tmp" "$out"
trap - EXIT
echo "gen-vmlinux-h: wrote $out from $btf ($(wc -l <"$out") lines)"
