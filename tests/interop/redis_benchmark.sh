#!/usr/bin/env bash
# redis_benchmark.sh HOST PORT
# redis-benchmark must finish SET, GET, INCR and MSET with no error line and print one
# result per test, without pipelining and with -P 16. Prints "ok NAME" / "FAIL NAME: why".
#   INTEROP_BENCH_N   requests per test [100000]
set -euo pipefail

HOST=${1:-127.0.0.1}
PORT=${2:?usage: redis_benchmark.sh HOST PORT}
N=${INTEROP_BENCH_N:-100000}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

pass=0
fail=0

run() { # run NAME extra-args...
    local name=$1 out="$TMP/out" rc=0 results errors
    shift
    timeout "${INTEROP_BENCH_TIMEOUT:-300}" redis-benchmark -h "$HOST" -p "$PORT" -q -n "$N" \
        -t set,get,incr,mset "$@" >"$out" 2>&1 </dev/null || rc=$?
    # -q redraws a progress line with \r; keep the final text of each line.
    tr '\r' '\n' <"$out" | grep -v '^ *$' | grep -v 'rps=' >"$out.lines" || true
    results=$(grep -cE '^(SET|GET|INCR|MSET \(10 keys\)): ([0-9.]+|inf) requests per second' "$out.lines" || true)
    # A refused CONFIG GET only costs redis-benchmark its "save/appendonly" hint.
    errors=$(grep -iE 'err|error|refused|closed|fail|reset|timeout' "$out.lines" |
        grep -v 'WARNING: Could not fetch server CONFIG' || true)
    if [ "$rc" -ne 0 ]; then
        echo "FAIL $name: redis-benchmark exited $rc: $(head -c 400 "$out.lines" | tr '\n' '|')"
        fail=$((fail + 1))
    elif [ -n "$errors" ]; then
        echo "FAIL $name: error lines: $(head -c 400 <<<"$errors" | tr '\n' '|')"
        fail=$((fail + 1))
    elif [ "$results" -ne 4 ]; then
        echo "FAIL $name: expected 4 results, got $results: $(head -c 400 "$out.lines" | tr '\n' '|')"
        fail=$((fail + 1))
    else
        echo "ok $name ($(grep -E 'requests per second' "$out.lines" | sed -E 's/: ([0-9.]+) requests per second.*/=\1/' | tr '\n' ' ' | sed 's/ $//') rps)"
        pass=$((pass + 1))
    fi
}

run redis-benchmark
run redis-benchmark-P16 -P 16

echo "# redis_benchmark: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
