#!/bin/sh
# Run vmatrace's root integration tests inside a QEMU guest that boots Debian 12's own
# kernel (linux-image-*-cloud-amd64, 6.1) with cgroup v2, and report the guest's results
# as ours: the exit status is 0 only when the guest's Criterion run passed.
#
# The guest is an initramfs only (busybox, the build tree, the tests' shared libraries): the
# cloud kernel has the serial console, initramfs, tmpfs, BPF and BTF built in, so it needs
# no disk and no module. The kernel package is downloaded once into $VM_CACHE.
#
# Usage: tests/vm/run.sh [--boot-only]
# Environment:
#   VM_TESTS    the tests to run, suite/name glob patterns, blank-separated (default: *);
#               "" runs none
#   VM_SKIP     the tests not to run, patterns too (default: DEFAULT_SKIP below)
#   VM_EXTRA    our own guest checks, tests/vm/NAME.sh (default: oom-v2); "" runs none
#   VM_CMD      a shell command run in the guest from the build tree's top, after the tests
#   VM_BUILD    the build tree to copy into the guest (default: build)
#   VM_CACHE    where the kernel package is kept between runs (default: /var/cache/vmatrace-vm)
#   VM_KERNEL   the kernel package (default: what linux-image-cloud-amd64 depends on)
#   VM_TIMEOUT  seconds before the guest is killed (default: 900)
#   VM_ACCEL    kvm or tcg (default: kvm when /dev/kvm works, else tcg)
#   VM_MEM, VM_SMP  guest memory and CPUs (default: 2G, 2)
# Exit status: 0 passed, 1 tests failed, 2 guest panicked, 3 timeout, 4 guest gave no
# results, 5 setup failed.
set -eu

# Left out by default: trace/scenario1_vma_explosion_enomem (150 s under TCG; the same workload
# runs in the model's, the daemon's and trace/errors_only's). What remains covers the four
# scenarios (2: tests/vm/oom-v2.sh until the tests know cgroup v2), the model's accuracy,
# alerts and their hook, the journal and its reports, the tracer, stacks and call sites.
DEFAULT_SKIP='
	trace/scenario1_vma_explosion_enomem
'

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${VM_BUILD:-build}
cache=${VM_CACHE:-/var/cache/vmatrace-vm}
timeout_s=${VM_TIMEOUT:-900}
want=${VM_TESTS-*}
skip=${VM_SKIP-$DEFAULT_SKIP}
extra=${VM_EXTRA-oom-v2}
cmd=${VM_CMD:-}
if [ "${1:-}" = --boot-only ]; then
	want='' extra='' cmd=''
fi

# A shell word for vm.conf, whatever the value holds.
quote() {
	printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

die() {
	echo "vm: $*" >&2
	exit 5
}

for c in qemu-system-x86_64 busybox cpio gzip dpkg-deb apt-get ldd timeout; do
	command -v "$c" >/dev/null || die "$c is missing (run scripts/setup.sh)"
done
# The guest has no libc of its own for busybox: the dynamic one (package busybox) cannot work.
ldd "$(command -v busybox)" >/dev/null 2>&1 && die "$(command -v busybox) is dynamic: install busybox-static"
case $build in /*) ;; *) build=$top/$build ;; esac
for f in vmatrace integration-tests; do
	[ -x "$build/$f" ] || die "$build/$f is missing (make all $(basename "$build")/integration-tests)"
done

# The tests, by name: one Criterion --filter pattern of the form @(suite/a|suite/b).
set -f # the patterns are ours to expand, against the tests' names
# shellcheck disable=SC2254
tests=$(
	"$build/integration-tests" --list 2>&1 |
		awk '/^[^ ].*: [0-9]+ tests?$/ { s = $1; sub(/:$/, "", s); next }
		     /── / { sub(/.*── /, ""); print s "/" $0 }' |
		while read -r t; do
			in='' out=''
			for p in $want; do case $t in $p) in=1 ;; esac; done
			for p in $skip; do case $t in $p) out=1 ;; esac; done
			[ -n "$in" ] && [ -z "$out" ] && echo "$t"
		done | paste -sd'|'
)
set +f
if [ -n "$want" ] && [ -z "$tests" ]; then
	die "no test matches VM_TESTS='$want' but not VM_SKIP (see $build/integration-tests --list)"
fi
[ -n "$tests" ] && tests="@($tests)"

# The kernel: the cloud flavour that Debian 12's metapackage points at, cached.
kpkg=${VM_KERNEL:-$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
	awk '/Depends: linux-image-/ {print $2; exit}')}
# Without package lists (a fresh container), the newest kernel already cached will do.
[ -n "$kpkg" ] || kpkg=$(ls -d "$cache"/linux-image-*/vmlinuz 2>/dev/null | sort -V | tail -1 |
	xargs -r dirname | xargs -r basename)
[ -n "$kpkg" ] || die "cannot tell which kernel package to use (apt-get update, or set VM_KERNEL)"
kdir=$cache/$kpkg
if [ ! -s "$kdir/vmlinuz" ]; then
	mkdir -p "$cache" || die "cannot create $cache (set VM_CACHE)"
	deb=$(ls "$cache/${kpkg}_"*.deb 2>/dev/null | tail -1)
	if [ -z "$deb" ]; then
		echo "vm: downloading $kpkg into $cache"
		# As root into a directory _apt cannot write: apt says so, harmlessly.
		(cd "$cache" && apt-get download -q "$kpkg" >"$cache/download.log" 2>&1) || {
			cat "$cache/download.log" >&2
			die "apt-get download $kpkg failed"
		}
		deb=$(ls "$cache/${kpkg}_"*.deb | tail -1)
	fi
	rm -rf "$kdir.tmp"
	mkdir -p "$kdir.tmp"
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$kdir.tmp" ./boot || die "cannot unpack $deb"
	cp "$kdir.tmp"/boot/vmlinuz-* "$kdir.tmp/vmlinuz"
	rm -rf "$kdir" && mv "$kdir.tmp" "$kdir"
fi
kernel=$kdir/vmlinuz

# The initramfs: rebuilt every run, since the build tree changes between runs.
work=$build/vm
root=$work/root
rm -rf "$root"
mkdir -p "$root" && cd "$root"
mkdir -p bin sbin usr/bin usr/sbin proc sys dev tmp run root etc lib64 lib/x86_64-linux-gnu vmatrace
cp "$(command -v busybox)" bin/busybox
busybox --list-full | while read -r a; do
	[ -e "$a" ] || ln -s /bin/busybox "$a"
done
printf 'root:x:0:0:root:/root:/bin/sh\n' >etc/passwd
printf 'root:x:0:\n' >etc/group
cp "$here/init" init
chmod 755 init
printf 'FILTER=%s\nEXTRA=%s\nCMD=%s\n' "$(quote "$tests")" "$(quote "$extra")" "$(quote "$cmd")" >vm.conf

# The tests find everything under build/ (or $VMATRACE_BUILD) and a few files in the source
# tree, relative to the working directory: the guest keeps the same layout under /vmatrace.
mkdir -p vmatrace/build/workloads
cp "$build/vmatrace" "$build/integration-tests" vmatrace/build/
for w in "$build"/workloads/*; do
	case $w in *.d) continue ;; esac
	[ -x "$w" ] && cp "$w" vmatrace/build/workloads/
done
mkdir -p vmatrace/tests
cp -r "$top/contrib" "$top/docs" vmatrace/
cp -r "$here" vmatrace/tests/vm

# Their shared libraries and the dynamic loader, at the paths ldd resolves them to.
for elf in vmatrace/build/vmatrace vmatrace/build/integration-tests vmatrace/build/workloads/*; do
	ldd "$elf" 2>/dev/null | awk '/=> \// {print $3} /^[ \t]*\// {print $1}'
done | sort -u | while read -r lib; do
	mkdir -p ".$(dirname "$lib")"
	cp -L "$lib" ".$lib"
	# Its detached debug file (libc6-dbg, by build-id), as on the host: the stack tests
	# name frames such as libc's start_thread, a symbol that only the debug file has.
	id=$(readelf -n "$lib" 2>/dev/null | awk '/Build ID:/ {print $3; exit}')
	dbg=/usr/lib/debug/.build-id/$(printf %s "$id" | cut -c1-2)/$(printf %s "$id" | cut -c3-).debug
	if [ -n "$id" ] && [ -f "$dbg" ]; then
		mkdir -p ".$(dirname "$dbg")"
		cp -L "$dbg" ".$dbg"
	fi
done

initrd=$work/initramfs.cpio.gz
find . | cpio -o -H newc --quiet | gzip -1 >"$initrd"
cd "$top"
echo "vm: $kpkg, initramfs $(du -h "$initrd" | cut -f1)"

# KVM when it really works (the device may exist without virtualisation), else TCG.
accel=${VM_ACCEL:-}
if [ -z "$accel" ]; then
	accel=tcg
	if [ -w /dev/kvm ] && grep -qE '^flags.* (vmx|svm)( |$)' /proc/cpuinfo; then
		accel=kvm
	fi
fi
case $accel in
kvm) cpu=host ;;
*) accel=tcg cpu=max ;;
esac

console=$work/console.log
echo "vm: booting ($accel, timeout ${timeout_s}s), console in $console"
t0=$(date +%s)
qrc=0
timeout -k 10 "$timeout_s" qemu-system-x86_64 -accel "$accel" -cpu "$cpu" \
	-m "${VM_MEM:-2G}" -smp "${VM_SMP:-2}" -nographic -no-reboot -nodefaults -serial stdio \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 rdinit=/init panic=-1 oops=panic loglevel=4 cgroup_no_v1=all" \
	</dev/null >"$console" 2>&1 || qrc=$?
t1=$(date +%s)
# Serial line ends and the firmware's terminal escapes out.
tr -d '\r' <"$console" | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1bc//g' >"$console.txt"
mv "$console.txt" "$console"
echo "vm: guest ran for $((t1 - t0)) s"

grep '^vm: ' "$console" || true
# The guest's own output, between its markers (the tests' stderr included), without the
# tests that --filter left out.
results=$(sed -n '/^=== VMATRACE-VM BEGIN ===$/,/^=== VMATRACE-VM END/p' "$console" |
	grep -v '^\[SKIP\] .*: Test is disabled$' || true)
[ -n "$results" ] && printf '%s\n' "$results" | sed '1d;/^=== VMATRACE-VM END/d;/^vm: /d'

if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	echo "vm: FAILED: timeout: the guest did not power off within ${timeout_s}s (VM_TIMEOUT)" >&2
	tail -20 "$console" >&2
	exit 3
fi
if grep -q 'Kernel panic' "$console"; then
	echo "vm: FAILED: the guest kernel panicked:" >&2
	grep -B20 -A5 'Kernel panic' "$console" | head -60 >&2
	exit 2
fi
end=$(printf '%s\n' "$results" | sed -n 's/^=== VMATRACE-VM END rc=\([0-9]*\) ===$/\1/p')
if [ -z "$end" ]; then
	echo "vm: FAILED: the guest stopped without results (qemu exit status $qrc):" >&2
	tail -30 "$console" >&2
	exit 4
fi
failed=
if [ -n "$tests" ]; then
	synth=$(printf '%s\n' "$results" | grep '^\[====\] Synthesis:' || true)
	if [ -z "$synth" ]; then
		echo "vm: FAILED: no Criterion synthesis in the guest's output (rc=$end)" >&2
		exit 4
	fi
	skipped=$(printf '%s\n' "$results" | grep -c '^\[SKIP\]' || true)
	echo "vm: $kpkg: ${synth#\[====\] }, $skipped skipped"
	printf '%s\n' "$synth" | grep -q 'Failing: 0 | Crashing: 0' || failed="$failed the integration tests,"
fi
if [ -n "$extra" ]; then
	pass=$(printf '%s\n' "$results" | grep -c '^\[PASS\] vm::' || true)
	fail=$(printf '%s\n' "$results" | grep -c '^\[FAIL\] vm::' || true)
	echo "vm: $kpkg: checks of tests/vm ($extra): $pass passing, $fail failing"
	[ "$fail" = 0 ] && [ "$pass" -gt 0 ] || failed="$failed tests/vm's checks,"
fi
[ -n "$cmd" ] && [ "$end" != 0 ] && failed="$failed VM_CMD,"
if [ -n "$failed" ] || [ "$end" != 0 ]; then
	[ -n "$failed" ] || failed=" the run,"
	echo "vm: FAILED:${failed%,} in the guest (rc=$end)" >&2
	exit 1
fi
