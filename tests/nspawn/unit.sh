#!/bin/sh
# The shipped unit under a real systemd: a minimal Debian tree (scripts/nspawn-tree.sh)
# booted with systemd-nspawn -b, this build's vmatrace bound in, the unit enabled. Checks:
# Type=notify (active with the daemon's STATUS=), the sandbox with the BPF programs loaded
# (capabilities dropped, the textfile written through ReadWritePaths, everything else
# read-only), the watchdog (pinged, the service survives several WatchdogSec), and
# `systemctl reload` failing when the configuration is rejected. Exit 77 with the reason
# where nspawn cannot run. Usage: unit.sh BUILD_DIR WORK_DIR
set -eu
build=$(realpath "$1")
work=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
tree=${VMATRACE_NSPAWN_TREE:-/var/cache/vmatrace-nspawn/bookworm}
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

[ "$(id -u)" = 0 ] || skip "needs root"
command -v systemd-nspawn >/dev/null || skip "no systemd-nspawn (package systemd-container)"
ldd "$build/vmatrace" | grep -q 'libasan\|libubsan' &&
	skip "a sanitizer build (SANITIZE=1) needs its runtime, which the container's tree lacks"
reason=$("$root/scripts/nspawn-tree.sh" "$tree") || skip "no Debian tree: $reason"

mkdir -p "$work/units/multi-user.target.wants" "$work/units/vmatrace.service.d" \
	"$work/etc" "$work/prom"
chmod 0755 "$work" "$work/etc"
cp "$root/contrib/vmatrace.service" "$work/units/vmatrace.service"
ln -sf ../vmatrace.service "$work/units/multi-user.target.wants/vmatrace.service"
# A short watchdog, so that the test sees it pinged and not firing.
printf '[Service]\nWatchdogSec=3s\n' > "$work/units/vmatrace.service.d/test.conf"
printf 'textfile_dir = /var/lib/prometheus/node-exporter\ntextfile_interval = 1s\n' \
	> "$work/etc/vmatrace.conf"
chmod 0644 "$work/etc/vmatrace.conf"

log=$work/nspawn.log
# bpf and perf_event_open are outside nspawn's default syscall filter; the daemon needs
# tracefs and BTF from the host.
systemd-nspawn -q -D "$tree" --volatile=overlay --register=no --keep-unit -M vmatrace-unit-test \
	--system-call-filter='bpf perf_event_open' \
	--capability=CAP_BPF,CAP_PERFMON,CAP_SYS_ADMIN,CAP_SYS_RESOURCE,CAP_IPC_LOCK,CAP_SYS_PTRACE,CAP_DAC_READ_SEARCH,CAP_CHECKPOINT_RESTORE,CAP_SETPCAP \
	--bind-ro="$build/vmatrace:/usr/local/sbin/vmatrace" \
	--bind-ro="$work/units:/usr/local/lib/systemd/system" \
	--bind="$work/etc:/etc/vmatrace" \
	--bind="$work/prom:/var/lib/prometheus/node-exporter" \
	--bind-ro=/sys/kernel/tracing \
	-b >"$log" 2>&1 &
nspawn=$!
cleanup() {
	kill "$nspawn" 2>/dev/null || true
	for _ in $(seq 50); do kill -0 "$nspawn" 2>/dev/null || break; sleep 0.2; done
	kill -9 "$nspawn" 2>/dev/null || true
}
trap cleanup EXIT

# The container's init: nspawn's child.
leader=
for _ in $(seq 100); do
	leader=$(ps -o pid= --ppid "$nspawn" | head -1 | tr -d ' ')
	[ -n "$leader" ] && [ "$(cat /proc/"$leader"/comm 2>/dev/null)" = systemd ] && break
	kill -0 "$nspawn" 2>/dev/null || { tail -20 "$log"; skip "systemd-nspawn exited at start"; }
	sleep 0.2
done
[ -n "$leader" ] || skip "no container init"
inside() { nsenter -t "$leader" -m -u -i -p -- "$@"; }

state=
for _ in $(seq 150); do
	state=$(inside systemctl is-active vmatrace 2>/dev/null || true)
	[ "$state" = active ] && break
	[ "$state" = failed ] && break
	sleep 0.2
done
inside systemctl status vmatrace --no-pager -n 20 >"$work/status.txt" 2>&1 || true
[ "$state" = active ] || { cat "$work/status.txt"; fail "vmatrace.service is $state"; }

show() { inside systemctl show -P "$1" vmatrace; }
[ "$(show Type)" = notify ] || fail "Type is $(show Type)"
status=$(show StatusText)
case $status in *processes*) ;; *) fail "no READY status from the daemon: '$status'" ;; esac
echo "Type=notify, active: $status"

pid=$(show MainPID)
# MainPID is the container's pid: its /proc is the container's.
capeff=$(inside sed -n 's/^CapEff:\t//p' /proc/"$pid"/status)
capbnd=$(inside sed -n 's/^CapBnd:\t//p' /proc/"$pid"/status)
inside journalctl -u vmatrace --no-pager -o cat >"$work/journal.txt" 2>&1 || true
grep -q "capabilities dropped after attaching" "$work/journal.txt" ||
	{ cat "$work/journal.txt"; fail "no capability drop logged"; }
[ "$capeff" = "$capbnd" ] || fail "CapEff $capeff but CapBnd $capbnd"
echo "sandbox: BPF loaded, CapEff $capeff (bounding set the same)"
inside /usr/local/sbin/vmatrace status >/dev/null || fail "status over the control socket"
for _ in $(seq 50); do [ -s "$work/prom/vmatrace.prom" ] && break; sleep 0.2; done
[ -s "$work/prom/vmatrace.prom" ] || { cat "$work/journal.txt"; fail "no textfile through ReadWritePaths"; }
echo "textfile_dir written: $(wc -l < "$work/prom/vmatrace.prom") lines"
# ProtectSystem=strict: what is not listed stays read-only for it.
inside nsenter -t "$pid" -m touch /usr/vmatrace-probe 2>&1 | grep -q "Read-only file system" ||
	fail "/usr writable inside the sandbox"

# The watchdog: pinged, and the service outlives several WatchdogSec.
w1=$(show WatchdogTimestampMonotonic)
sleep 7
w2=$(show WatchdogTimestampMonotonic)
[ "$(show ActiveState)" = active ] || fail "not active after 7 s with WatchdogSec=3s"
[ "$(show NRestarts)" = 0 ] || fail "restarted $(show NRestarts) times (the watchdog fired?)"
[ "$w2" -gt "$w1" ] || fail "the watchdog was not pinged ($w1, $w2)"
echo "watchdog: pinged ($w1 -> $w2), no restart"

# A rejected configuration: the reload fails, the service runs on.
printf 'alert_thresholds = 90, 80\n' > "$work/etc/vmatrace.conf"
if inside systemctl reload vmatrace >"$work/reload.txt" 2>&1; then
	fail "systemctl reload succeeded with a rejected configuration"
fi
[ "$(show ActiveState)" = active ] || fail "not active after the rejected reload"
inside journalctl -u vmatrace --no-pager -o cat | grep -q "thresholds must ascend" ||
	fail "the reason of the rejection is not in the log"
echo "rejected reload: systemctl reload failed, service still active"
printf 'alert_thresholds = 70\n' > "$work/etc/vmatrace.conf"
inside systemctl reload vmatrace || fail "a good reload failed"
echo "good reload: ok"
echo PASS
