#!/usr/bin/env bash
# run.sh SERVER_CMD [ARG...]
#
# Starts SERVER_CMD [ARG...] --save "" $INTEROP_SERVER_ARGS --port P --bind 127.0.0.1
# (P a free port in 7100..7199, working directory a fresh temporary directory), runs every
# interop check against it, stops it, and ends with "N passed, M failed". Exit 1 on failure.
#
#   tests/interop/run.sh redis-server            # the checks' expectations, on real Redis
#   tests/interop/run.sh target/debug/redoubt    # Redoubt
#
# Environment: INTEROP_SERVER_ARGS (extra server arguments), INTEROP_BENCH_N (requests per
# redis-benchmark test, 100000), INTEROP_CHECKS (space-separated subset of the check files).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../../scripts/lib/deps.sh
. "$root/scripts/lib/deps.sh"
# shellcheck source-path=SCRIPTDIR source=../../scripts/lib/server.sh
. "$root/scripts/lib/server.sh"

if [ $# -lt 1 ]; then
    echo "usage: $0 SERVER_CMD [ARG...]" >&2
    exit 2
fi

deps_interop

bin=$(resolve_cmd "$1") || { echo "FAIL server-start: $1: not found or not executable"; echo "0 passed, 1 failed"; exit 1; }
shift
work=$(mktemp -d "${TMPDIR:-/tmp}/redoubt-interop.XXXXXX")
cleanup() {
    servers_stop_all
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

read -r -a extra <<<"${INTEROP_SERVER_ARGS:-}"
log="$work/server.log"
echo "# interop: starting $bin $* --save '' ${extra[*]} (working directory $work)"
if ! server_start "$(basename "$bin")" "$work" "$log" "$bin" "$@" --save "" "${extra[@]}"; then
    echo "FAIL server-start: $(basename "$bin") did not start; log:"
    sed 's/^/#   /' "$log" | tail -n 20
    echo "0 passed, 1 failed"
    exit 1
fi
pid=$SERVER_PID
port=$SERVER_PORT
echo "# interop: server pid $pid on 127.0.0.1:$port"

checks=${INTEROP_CHECKS:-redis_py.py redis_benchmark.sh redis_cli.sh}  # redis_cli.sh last: it ends with SHUTDOWN
passed=0
failed=0
out="$work/check.out"
for c in $checks; do
    start=$(date +%s)
    if ! kill -0 "$pid" 2>/dev/null || [ "$(ps -o stat= -p "$pid" | cut -c1)" = Z ]; then
        echo "FAIL ${c%.*}: server is not running any more; last log lines:"
        tail -n 20 "$log" | sed 's/^/#   /'
        failed=$((failed + 1))
        continue
    fi
    echo "# --- $c"
    rc=0
    case "$c" in
        *.py) python3 "$here/$c" 127.0.0.1 "$port" >"$out" 2>&1 || rc=$? ;;
        *) SERVER_PID=$pid bash "$here/$c" 127.0.0.1 "$port" >"$out" 2>&1 || rc=$? ;;
    esac
    cat "$out"
    p=$(grep -c '^ok ' "$out" || true)
    f=$(grep -c '^FAIL ' "$out" || true)
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "FAIL ${c%.*}: exited $rc without reporting a failure"
        f=1
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    echo "# $c: $p passed, $f failed, $(($(date +%s) - start))s"
done

if [ "$failed" -gt 0 ]; then
    echo "# server log (last 30 lines):"
    tail -n 30 "$log" | sed 's/^/#   /'
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
