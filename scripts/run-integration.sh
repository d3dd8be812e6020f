#!/bin/sh
# Run the root integration tests one at a time (they share the kernel's
# tracepoints and the machine's cores). Without root they are skipped, loudly.
# Criterion fails a run that logged a warning (cr_log_warn) or crashed in a
# setup or teardown even when every test passed: tests log what they could not
# check with cr_log_info.
set -eu
bin=${1:-build/integration-tests}
[ $# -gt 0 ] && shift
if [ "$(id -u)" != 0 ]; then
	echo "integration tests need root (BPF): skipped. Run 'sudo make test' to include them." >&2
	exit 0
fi
exec "$bin" --jobs 1 "$@"
