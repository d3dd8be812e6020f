#!/bin/sh
# In the guest, from /vmatrace: scenario 2 on cgroup v2. The integration tests' OOM tests
# need a memcg v1 hierarchy and skip here, so this runs oom_hog in a child cgroup with
# memory.max = 64 MiB, under `vmatrace trace` while the daemon runs, and checks the
# oom_kill record and the SIGKILL (trace), the alert with the memcg's path and limit
# (daemon: its v2 path reads memory.max and memory.events, whose oom count says the limit was
# reached and whose oom_kill count the alert carries) and the incident in the journal (report).
# Prints Criterion-like [PASS]/[FAIL] lines for tests/vm/run.sh to count.
name=vm::memcg_v2_oom_kill_trace_alert_and_journal
d=$(mktemp -d /tmp/vm-oom.XXXXXX)
cg=/sys/fs/cgroup/vmatrace-vm-oom
vt=build/vmatrace
bad=0

fail() {
	echo "[----] $name: $*"
	bad=1
}

echo "[RUN ] $name"
if ! mkdir "$cg" || ! echo 64M >"$cg/memory.max"; then
	fail "cannot create $cg with memory.max"
fi

$vt daemon --foreground --socket "$d/ctl.sock" --journal-dir "$d/journal" \
	--alert-log "$d/alerts.jsonl" 2>"$d/daemon.log" &
dpid=$!
i=0
until $vt status --socket "$d/ctl.sock" >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -ge 200 ] || ! kill -0 $dpid 2>/dev/null; then
		fail "the daemon did not answer"
		break
	fi
	sleep 0.1
done

# The shell moves itself into the cgroup, then becomes the hog (same pid).
$vt trace --json -o "$d/trace.jsonl" -- \
	sh -c "echo \$\$ > $cg/cgroup.procs && exec build/workloads/oom_hog" 2>"$d/trace.err"
oom=$(grep '"event":"oom_kill"' "$d/trace.jsonl" | grep '"victim_comm":"oom_hog"' | head -1)
vpid=$(printf '%s\n' "$oom" | sed -n 's/.*"victim_pid":\([0-9]*\).*/\1/p')
if [ -z "$vpid" ]; then
	fail "trace: no oom_kill record for oom_hog"
	tail -5 "$d/trace.err" "$d/trace.jsonl"
elif ! grep "\"pid\":${vpid}[,}]" "$d/trace.jsonl" | grep '"event":"exit"' | grep -q '"signal":"KILL"'; then
	fail "trace: the victim's exit ($vpid) is not a SIGKILL"
fi

i=0
while ! grep -q '"kind":"oom_kill"' "$d/alerts.jsonl" 2>/dev/null && [ $i -lt 200 ]; do
	i=$((i + 1))
	sleep 0.1
done
alert=$(grep '"kind":"oom_kill"' "$d/alerts.jsonl" 2>/dev/null)
if [ -z "$alert" ]; then
	fail "daemon: no oom_kill alert"
	tail -5 "$d/daemon.log"
else
	[ "$(printf '%s\n' "$alert" | wc -l)" = 1 ] || fail "daemon: more than one oom_kill alert"
	for want in "\"victim_pid\":$vpid" '"victim_comm":"oom_hog"' '"oom_type":"cgroup"' \
		'vmatrace-vm-oom' '"memcg_limit":67108864' '"memcg_version":2' \
		'"oom_evidence":"memory.events"'; do
		printf '%s\n' "$alert" | grep -qF "$want" || fail "daemon: the alert lacks $want: $alert"
	done
	kills=$(printf '%s\n' "$alert" | sed -n 's/.*"memcg_oom_kills":\([0-9]*\).*/\1/p')
	kernel=$(sed -n 's/^oom_kill //p' "$cg/memory.events")
	[ -n "$kills" ] && [ "$kills" -ge 1 ] && [ "$kills" -le "${kernel:-0}" ] ||
		fail "daemon: memcg_oom_kills '$kills' is not memory.events' oom_kill (${kernel:-none})"
fi

kill $dpid
wait $dpid
$vt report --journal-dir "$d/journal" >"$d/report.txt" 2>&1
grep -q 'OOM kill (cgroup, memcg /vmatrace-vm-oom)' "$d/report.txt" ||
	{ fail "journal: no OOM kill in the report:"; head -20 "$d/report.txt"; }

rmdir "$cg" 2>/dev/null
rm -rf "$d"
if [ $bad = 0 ]; then
	echo "[PASS] $name"
else
	echo "[FAIL] $name"
fi
exit $bad
