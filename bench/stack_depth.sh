#!/usr/bin/env bash
# How deep vmatrace trace -k's stacks are against strace -k's, on the same calls: both tracers
# follow the same process at once (ptrace and the BPF programs do not exclude each other), and
# bench/stack_depth.py matches each call of one trace with itself in the other and compares
# their frames by file offset. Three programs:
#   (a) mariadbd with jemalloc (LD_PRELOAD) under a short sysbench oltp_read_write load, both
#       tracers attached with -p to the running server;
#   (b) python3 -c 'x=[bytearray(200000) for _ in range(200)]';
#   (c) a jemalloc program: LD_PRELOAD=libjemalloc.so.2 build/workloads/malloc_129k;
# (b) and (c) as `vmatrace trace -k -f -- strace -f -k -- CMD` (strace's own calls left out).
# Run by bench/run.sh (section depth) or alone as root: BUILD=build bench/stack_depth.sh.
# Environment: BUILD, QUICK (shorter sysbench run), SKIP_MARIADB, DEPTH_SB_TIME (10 s; quick 5).
# Everything it starts is bounded by timeout and stopped by its exit trap, which deletes its
# temp dir (MariaDB's datadir and socket are there).
set -euo pipefail
export LC_ALL=C

BUILD=$(cd "${BUILD:-build}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
VMATRACE=$BUILD/vmatrace
JEMALLOC=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
SB_TIME=${DEPTH_SB_TIME:-$([[ -n ${QUICK:-} ]] && echo 5 || echo 10)}
CALLS=mmap,munmap,mremap,madvise,mprotect,brk
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vmatrace-depth.XXXXXX")
PIDS=()
MDB_PID=

cleanup()
{
	local p

	trap '' INT TERM
	if [[ -n $MDB_PID ]]; then
		timeout 60 mariadb-admin --no-defaults -S "$TMP/mysqld.sock" -uroot shutdown \
			>/dev/null 2>&1 || kill -TERM "$MDB_PID" 2>/dev/null || true
	fi
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

die()
{
	echo "stack_depth: $*" >&2
	exit 1
}

((EUID == 0)) || die "run as root (BPF programs, ptrace, MariaDB)"
[[ -x $VMATRACE && -x $BUILD/workloads/malloc_129k ]] ||
	die "$VMATRACE or $BUILD/workloads/malloc_129k is missing: make all"
command -v strace >/dev/null || die "strace is missing (apt-get install strace)"
echo "strace: $(strace -V | head -n 1); calls compared: $CALLS"

# both NAME CMD...: CMD under strace -f -k under vmatrace trace -k -f; then the comparison.
both()
{
	local name=$1 rc=0

	shift
	timeout -s KILL 300 "$VMATRACE" trace -k -f -o "$TMP/$name.vmt" -- strace -f -k \
		-e trace=$CALLS -o "$TMP/$name.st" "$@" >/dev/null 2>"$TMP/$name.verr" || rc=$?
	((rc == 0)) || echo "$name: vmatrace trace -k exited with status $rc: $(tail -n 2 \
		"$TMP/$name.verr")"
	grep -h '^records:' "$TMP/$name.verr" | sed "s/^/$name: vmatrace /" || true
	python3 "$HERE/stack_depth.py" "$name" "$TMP/$name.vmt" "$TMP/$name.st" --comm-exclude strace
}

mariadb_depth()
{
	local i vpid spid

	for f in /usr/sbin/mariadbd /usr/bin/sysbench "$JEMALLOC"; do
		[[ -e $f ]] || {
			echo "mariadbd: unavailable: $f is missing (bench/run.sh installs it)"
			return 0
		}
	done
	timeout 300 mariadb-install-db --no-defaults --datadir="$TMP/data" --user=root \
		--auth-root-authentication-method=normal --skip-test-db >"$TMP/install.log" 2>&1 ||
		die "mariadb-install-db failed: $(tail -n 3 "$TMP/install.log")"
	env LD_PRELOAD="$JEMALLOC" timeout -s TERM -k 30 900 mariadbd --no-defaults --user=root \
		--datadir="$TMP/data" --socket="$TMP/mysqld.sock" --skip-networking \
		--pid-file="$TMP/mysqld.pid" --log-error="$TMP/error.log" \
		--innodb-buffer-pool-size=256M --max-connections=100 >/dev/null 2>&1 &
	PIDS+=($!)
	for ((i = 0; i < 600; i++)); do
		[[ -z $MDB_PID && -s $TMP/mysqld.pid ]] && MDB_PID=$(cat "$TMP/mysqld.pid")
		[[ -n $MDB_PID ]] && timeout 10 mariadb-admin --no-defaults -S "$TMP/mysqld.sock" \
			-uroot ping >/dev/null 2>&1 && break
		sleep 0.1
	done
	((i < 600)) || die "mariadbd did not answer within 60 s: $(tail -n 3 "$TMP/error.log")"
	grep -q libjemalloc "/proc/$MDB_PID/maps" || echo "note: mariadbd did not load $JEMALLOC"
	timeout 60 mariadb --no-defaults -S "$TMP/mysqld.sock" -uroot -e 'CREATE DATABASE sbtest'
	local sb=(sysbench oltp_read_write --db-driver=mysql --mysql-socket="$TMP/mysqld.sock"
		--mysql-user=root --mysql-db=sbtest --tables=4 --table-size=10000 --threads=4)
	timeout 300 "${sb[@]}" prepare >"$TMP/sb.prep" 2>&1 ||
		die "sysbench prepare failed: $(tail -n 3 "$TMP/sb.prep")"
	timeout -s TERM -k 5 300 "$VMATRACE" trace -k -v -p "$MDB_PID" -o "$TMP/mdb.vmt" \
		>/dev/null 2>"$TMP/mdb.verr" &
	vpid=$!
	PIDS+=("$vpid")
	for ((i = 0; i < 200; i++)); do
		grep -q 'programs attached' "$TMP/mdb.verr" && break
		sleep 0.05
	done
	timeout -s INT -k 5 300 strace -f -k -e trace=$CALLS -p "$MDB_PID" -o "$TMP/mdb.st" \
		2>"$TMP/mdb.sterr" &
	spid=$!
	PIDS+=("$spid")
	sleep 1
	echo "mariadbd pid $MDB_PID ($(ls "/proc/$MDB_PID/task" | wc -l) threads), LD_PRELOAD=$JEMALLOC;" \
		"sysbench oltp_read_write 4 tables of 10000 rows, 4 threads, $SB_TIME s, with both attached"
	timeout 300 "${sb[@]}" --time="$SB_TIME" run >"$TMP/sb.run" 2>&1 ||
		echo "sysbench run failed: $(tail -n 3 "$TMP/sb.run")"
	sed -n 's/^ *transactions: */  sysbench transactions: /p' "$TMP/sb.run"
	kill -INT "$spid" 2>/dev/null || true
	wait "$spid" 2>/dev/null || true
	kill -INT "$vpid" 2>/dev/null || true
	wait "$vpid" 2>/dev/null || true
	grep -h '^records:' "$TMP/mdb.verr" | sed 's/^/mariadbd: vmatrace /' || true
	python3 "$HERE/stack_depth.py" mariadbd "$TMP/mdb.vmt" "$TMP/mdb.st"
	timeout 60 mariadb-admin --no-defaults -S "$TMP/mysqld.sock" -uroot shutdown \
		>/dev/null 2>&1 || kill -TERM "$MDB_PID" 2>/dev/null || true
	MDB_PID=
}

if [[ -z ${SKIP_MARIADB:-} ]]; then
	mariadb_depth
else
	echo "mariadbd: skipped (SKIP_MARIADB is set)"
fi
both python3 /usr/bin/python3 -c 'x=[bytearray(200000) for _ in range(200)]'
if [[ -e $JEMALLOC ]]; then
	both jemalloc env LD_PRELOAD="$JEMALLOC" "$BUILD/workloads/malloc_129k"
else
	echo "jemalloc: unavailable: $JEMALLOC is missing (apt-get install libjemalloc2)"
fi
