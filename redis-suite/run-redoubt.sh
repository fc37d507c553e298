#!/usr/bin/env bash
# redis-suite/run-redoubt.sh [unit ...]
#
# Runs Redis 7.0.15's own Tcl test suite against Redoubt and compares with real Redis.
#   1. setup.sh extracts the 7.0.15 test tree from a bare clone of redis/redis into
#      redis-suite/redis (skipped when that tree is there and REDIS_GIT_DIR is absent);
#   2. starts Redoubt on a free 127.0.0.1 port:
#        $REDOUBT_BIN suite.conf $REDOUBT_ARGS --port P --bind 127.0.0.1
#      (restarted, on a new port, if it dies during a unit file), where suite.conf (mode 0600,
#      written here) gives the suite's default user everything, as Redis's default user has:
#        user default on nopass ~* &* +@all
#      (Redoubt's own default user lacks the admin surface, and refuses `--user` on the command
#      line, where every local user could read it);
#   3. run-suite.sh for each unit file (default: the list below), one at a time;
#   4. prints per file: ok/err counts, status, the baseline's ok count and % of it.
#
# Environment:
#   REDIS_GIT_DIR  bare clone of redis/redis [/work/.mirror/redis+redis/repo]
#   REDOUBT_BIN    server binary [target/debug/redoubt, built with cargo build --bin redoubt];
#                  REDOUBT_BIN=redis-server checks the wrapper against real Redis
#   REDOUBT_ARGS   extra server arguments, split with shell quoting, never expanded  [none]
#   LOG_DIR        where the logs go [redis-suite/logs/redoubt-<timestamp>]
#   BASELINE       [redis-suite/baseline-7.0.15.tsv]
#   FILE_TIMEOUT, TEST_TIMEOUT, TAGS, EXTRA_ARGS, BASEPORT: passed on to run-suite.sh
# Exit status: 0 if no test failed.
set -euo pipefail

DEFAULT_UNITS="unit/type/string unit/type/incr unit/keyspace unit/expire unit/protocol unit/info-command unit/bitops unit/bitfield unit/quit"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../scripts/lib/deps.sh
. "$root/scripts/lib/deps.sh"
# shellcheck source-path=SCRIPTDIR source=../scripts/lib/server.sh
. "$root/scripts/lib/server.sh"

git_dir=${REDIS_GIT_DIR:-/work/.mirror/redis+redis/repo}
baseline=${BASELINE:-$here/baseline-7.0.15.tsv}
log_dir=${LOG_DIR:-$here/logs/redoubt-$(date +%Y%m%d-%H%M%S)}
if [ $# -gt 0 ]; then units=("$@"); else read -r -a units <<<"$DEFAULT_UNITS"; fi

deps_redis
deps_tcl
command -v python3 >/dev/null || deps_python

# 1. the test tree
if [ -d "$git_dir" ]; then
    "$here/setup.sh" "$git_dir" >/dev/null
elif [ ! -f "$here/redis/tests/test_helper.tcl" ]; then
    echo "run-redoubt: no redis/redis clone at $git_dir (set REDIS_GIT_DIR) and no test tree in $here/redis" >&2
    exit 2
fi

# 2. the server
if [ -z "${REDOUBT_BIN:-}" ]; then
    (cd "$root" && cargo build --bin redoubt)
    REDOUBT_BIN=$root/target/debug/redoubt
fi
bin=$(resolve_cmd "$REDOUBT_BIN") || { echo "run-redoubt: $REDOUBT_BIN not found" >&2; exit 2; }
args=()
split_words args "${REDOUBT_ARGS:-}"

mkdir -p "$log_dir"
work=$(mktemp -d "${TMPDIR:-/tmp}/redoubt-suite.XXXXXX")
cleanup() {
    servers_stop_all
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# The suite's default user may run everything (Redis's default); a config file, 0600, since
# it holds a user line.
(umask 077 && printf 'user default on nopass ~* &* +@all\n' >"$work/suite.conf")
args=("$work/suite.conf" "${args[@]}")

pid=""
port=""
start() {
    if ! server_start "$(basename "$bin")" "$work" "$log_dir/server.log" "$bin" "${args[@]}"; then
        echo "run-redoubt: could not start $bin; see $log_dir/server.log" >&2
        tail -n 20 "$log_dir/server.log" >&2
        exit 1
    fi
    pid=$SERVER_PID
    port=$SERVER_PORT
}
alive() { kill -0 "$pid" 2>/dev/null && [ "$(ps -o stat= -p "$pid" | cut -c1)" != Z ]; }

start
echo "# $(printf '%q ' "$bin" "${args[@]}")--port $port --bind 127.0.0.1 (pid $pid)"
echo "# suite logs in $log_dir"

# 3. one run-suite.sh per unit, so a crash costs one file, not the rest
summary="$log_dir/summary.tsv"
printf 'unit\tok\terr\texception\tskip\tignore\tstatus\trc\tseconds\n' >"$summary"
t0=$(date +%s)
for u in "${units[@]}"; do
    u=${u#tests/}; u=${u%.tcl}
    safe=$(tr '/' '_' <<<"$u")
    alive || { echo "# server died; restarting it"; start; }
    LOG_DIR="$log_dir/$safe" "$here/run-suite.sh" 127.0.0.1 "$port" "$u" >"$log_dir/$safe.out" 2>&1 || true
    line=$(awk -F'\t' 'NR > 1 && $1 != "TOTAL"' "$log_dir/$safe/summary.tsv" 2>/dev/null | head -n 1)
    [ -n "$line" ] || line=$(printf '%s\t0\t1\t0\t0\t0\tNO-RESULT\t-\t0' "$u")
    if ! alive; then
        line=$(awk -F'\t' -v OFS='\t' '{ $7 = $7 "+CRASH" } 1' <<<"$line")
        echo "# server died during $u; last log lines:"
        tail -n 5 "$log_dir/server.log" | sed 's/^/#   /'
    fi
    printf '%s\n' "$line" >>"$summary"
    awk -F'\t' '{ printf "# %-24s ok %4d  err %3d  %s (%ss)\n", $1, $2, $3 + $4, $7, $9 }' <<<"$line"
done

# 4. the comparison
echo
awk -F'\t' -v secs=$(($(date +%s) - t0)) '
    FNR == 1 { next }
    FILENAME == ARGV[1] { base[$1] = $2; next }
    {
        order[++n] = $1; ok[$1] = $2; err[$1] = $3 + $4; st[$1] = $7
        # a file that did not run to its end counts one failure more (as run-suite.sh does)
        if ($7 !~ /^(OK|FAIL|EXCEPTION)$/) err[$1]++
    }
    END {
        printf "%-24s %6s %6s %-16s %8s %8s\n", "unit", "ok", "err", "status", "baseline", "%"
        for (i = 1; i <= n; i++) {
            u = order[i]; b = (u in base) ? base[u] : "-"
            pct = (b == "-" || b == 0) ? "-" : sprintf("%.0f%%", 100 * ok[u] / b)
            printf "%-24s %6d %6d %-16s %8s %8s\n", u, ok[u], err[u], st[u], b, pct
            tok += ok[u]; terr += err[u]; if (b != "-") tb += b
        }
        printf "%-24s %6d %6d %-16s %8d %8s\n", "TOTAL", tok, terr, "", tb, (tb ? sprintf("%.0f%%", 100 * tok / tb) : "-")
        printf "# %ds\n", secs
        printf "%d passed, %d failed\n", tok, terr
        exit (terr > 0)
    }' "$baseline" "$summary"
