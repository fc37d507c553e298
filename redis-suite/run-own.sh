#!/usr/bin/env bash
# redis-suite/run-own.sh [unit ...]
#
# Runs unit files of Redis 7.0.15's Tcl suite "the suite's own way": not against an external
# server but letting the suite start (and kill) its own servers, which is the only way to run
# the files tagged external:skip (auth, ACL files, protected mode, maxmemory, obuf limits...).
#   1. the test tree: $SUITE_DIR (redis-suite/redis), extracted (setup.sh) when missing;
#   2. $SUITE_DIR/src/redis-server becomes a two-line wrapper that execs $SERVER_BIN (exec keeps
#      the PID the suite waits for: " PID: <pid>" and "Ready to accept" on stdout); the suite
#      runs it as "src/redis-server <generated config> [per-test args]" in $SUITE_DIR, with the
#      directives of tests/assets/default.conf plus per-test overrides in that config;
#   3. one "tclsh tests/test_helper.tcl --single UNIT" per file (no --host/--port), under
#      timeout(1); leftovers of its process group (suite clients, servers) are killed;
#   4. prints ok/err per file, the first problem of every file that did not pass, a table
#      against $BASELINE, and "N passed, M failed".
#
# Environment:
#   SERVER_BIN     server the suite starts [redoubt-as-redis.sh running
#                  ${CARGO_TARGET_DIR:-target}/debug/redoubt, built first with cargo build
#                  --bin redoubt unless BUILD=0; the script gives the default user everything,
#                  as Redis's, when a test declares no users itself];
#                  SERVER_BIN=/usr/bin/redis-server gives the baseline
#   SERVER_ARGS    extra arguments the wrapper appends after the suite's own, split with shell
#                  quoting, never expanded                                        [none]
#   BUILD          1 = cargo build --bin redoubt when SERVER_BIN is unset          [1]
#   REDIS_GIT_DIR  bare clone of redis/redis, used only when the tree is missing
#                  [/work/.mirror/redis+redis/repo]
#   SUITE_DIR      test tree [redis-suite/redis], extracted from REDIS_GIT_DIR when missing.
#                  setup.sh (which run-redoubt.sh runs every time) deletes and re-extracts
#                  redis-suite/redis, and every suite run empties its tests/tmp: while others
#                  may run run-redoubt.sh or run-suite.sh, give a private one, e.g.
#                  SUITE_DIR=/tmp/redis-own. A file hit by that shows status TREE-CHANGED.
#   LOG_DIR        [redis-suite/logs/own-<timestamp>]: UNIT.log (suite output), UNIT.servers/
#                  (generated configs and stdout/stderr of every server the file started),
#                  summary.tsv (columns of the baseline files)
#   BASELINE       [redis-suite/baseline-own-7.0.15.tsv]
#   FILE_TIMEOUT   wall-clock limit per unit file, seconds                          [600]
#   TEST_TIMEOUT   the suite's own no-progress timeout (--timeout)                  [150]
#                  (above the suite's 120 s wait for " PID:": a server that exits at start
#                  is then reported as "Can't start the Redis server" and the file goes on)
#   TAGS           [-slow -needs:debug -needs:repl -needs:save -needs:pfdebug -needs:latency]
#                  (run-suite.sh's, minus -needs:local-process: the servers are local here)
#   EXTRA_ARGS     more test_helper flags                      [--ignore-encoding --durable]
#                  (--durable: an exception, e.g. a missing command, fails its test, not
#                  the rest of the file)
#   BASEPORT, PORTCOUNT  --baseport, --portcount: spawned servers take free ports in
#                  [BASEPORT, BASEPORT+PORTCOUNT) (and probe each +10000), the suite's own
#                  socket one in [BASEPORT-32, BASEPORT-1]. The default keeps clear of the
#                  21079..39110 that other suite runs (run-suite.sh, ./runtest) use.  [41111, 1000]
#   TCLSH          [tclsh]
# Default units: see DEFAULT_UNITS. Exit status: 0 if nothing failed, 1 if something did,
# 2 on a set-up error.
set -uo pipefail

DEFAULT_UNITS="unit/auth unit/acl unit/acl-v2 unit/networking unit/pubsubshard unit/maxmemory unit/obuf-limits"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../scripts/lib/deps.sh
. "$root/scripts/lib/deps.sh"
# shellcheck source-path=SCRIPTDIR source=../scripts/lib/server.sh
. "$root/scripts/lib/server.sh"   # resolve_cmd, split_words

git_dir=${REDIS_GIT_DIR:-/work/.mirror/redis+redis/repo}
suite=${SUITE_DIR:-$here/redis}
baseline=${BASELINE:-$here/baseline-own-7.0.15.tsv}
log_dir=${LOG_DIR:-$here/logs/own-$(date +%Y%m%d-%H%M%S)}
file_timeout=${FILE_TIMEOUT:-600}
test_timeout=${TEST_TIMEOUT:-150}
tags=${TAGS-"-slow -needs:debug -needs:repl -needs:save -needs:pfdebug -needs:latency"}
extra=${EXTRA_ARGS---ignore-encoding --durable}
baseport=${BASEPORT:-41111}
portcount=${PORTCOUNT:-1000}
tclsh=${TCLSH:-tclsh}
if [ $# -gt 0 ]; then units=("$@"); else read -r -a units <<<"$DEFAULT_UNITS"; fi

die() { echo "run-own: $*" >&2; exit 2; }

deps_redis || die "redis-cli/redis-benchmark missing"   # the suite calls src/redis-cli
deps_tcl || die "tclsh missing"
command -v python3 >/dev/null || deps_python

# 1. the test tree: setup.sh for redis-suite/redis, the same extraction anywhere else
tree_setup() {
    [ -d "$git_dir" ] || die "no test tree in $suite and no redis/redis clone at $git_dir (REDIS_GIT_DIR)"
    if [ "$suite" = "$here/redis" ]; then
        "$here/setup.sh" "$git_dir" >/dev/null || die "setup.sh failed"
    else
        mkdir -p "$suite" || die "cannot create $suite"
        git --git-dir="$git_dir" archive 7.0.15 tests src/version.h | tar -x -C "$suite" || die "extraction into $suite failed"
        ln -sf "$(command -v redis-cli)" "$suite/src/redis-cli"
        ln -sf "$(command -v redis-benchmark)" "$suite/src/redis-benchmark"
    fi
}
[ -f "$suite/tests/test_helper.tcl" ] || tree_setup
suite=$(cd "$suite" && pwd)

# 2. the server the suite will start
if [ -z "${SERVER_BIN:-}" ]; then
    SERVER_BIN=${CARGO_TARGET_DIR:-$root/target}/debug/redoubt
    if [ "${BUILD:-1}" = 1 ]; then
        (cd "$root" && cargo build --bin redoubt) || die "cargo build --bin redoubt failed (BUILD=0 uses $SERVER_BIN as it is)"
    fi
    # Redoubt runs as the suite's server through redoubt-as-redis.sh: it gives the default user
    # everything (Redis's default) when the test declares no users (see that script).
    export REDOUBT_BIN=$SERVER_BIN
    SERVER_BIN=$here/redoubt-as-redis.sh
fi
bin=$(resolve_cmd "$SERVER_BIN") || die "$SERVER_BIN not found or not executable"
args=()
split_words args "${SERVER_ARGS:-}"
wrapper=$suite/src/redis-server
# Written before every unit file: setup.sh (run by run-redoubt.sh) re-extracts redis-suite/redis.
wrapper_write() {
    local tmp=$wrapper.tmp.$$
    {
        echo '#!/bin/sh'
        echo "# written by redis-suite/run-own.sh: the server Redis's test suite starts."
        echo "# exec, so that the PID the suite spawned is the one the server prints."
        printf 'exec %q "$@"' "$bin"
        [ "${#args[@]}" -eq 0 ] || printf ' %q' "${args[@]}"
        echo
    } >"$tmp" && chmod +x "$tmp" && mv -f "$tmp" "$wrapper"
}
wrapper_write || die "cannot write $wrapper"

mkdir -p "$log_dir" "$suite/tests/tmp"
exec 9>"$suite/tests/tmp/.run-own.lock"
flock -n 9 || die "another run-own.sh is using $suite"

# Kill (by PID) what is left in the process group timeout(1) made for one unit file:
# suite clients and the servers they started.
reap_group() {
    local pgid=$1 p
    for p in $(ps -e -o pid=,pgid= | awk -v g="$pgid" '$2 == g { print $1 }'); do
        kill -TERM "$p" 2>/dev/null
    done
    sleep 1
    for p in $(ps -e -o pid=,pgid= | awk -v g="$pgid" '$2 == g { print $1 }'); do
        kill -KILL "$p" 2>/dev/null
    done
}
count() { grep -c "^\[$1\]" "$2" 2>/dev/null || true; }

# The first thing that went wrong in a unit's log, on one line (or none if nothing did).
first_problem() {
    awk '
        /^\[exception\]/ { getline nxt; print "exception: " $0 " | " nxt; exit }
        /^\[err\]: Can.t start the Redis server/ { cant = 1; next }
        cant && /^ERROR:/ { sub(/^ERROR:/, ""); e = $0; while ((getline l) > 0 && l !~ /^\[/ && l != "") e = e " | " l
                            print "server did not start: " e; exit }
        cant { next }
        /^\[err\]/ { e = $0; if ((getline nxt) > 0) e = e " | " nxt; print e; exit }
        /^\[TIMEOUT\]/ { print; exit }
    ' "$1" | cut -c1-400
}

summary=$log_dir/summary.tsv
problems=$log_dir/problems.txt
printf 'unit\tok\terr\texception\tskip\tignore\tstatus\trc\tseconds\n' >"$summary"
: >"$problems"
echo "# server: $(printf '%q ' "$bin" "${args[@]}")(via $wrapper)"
echo "# tags: $tags   extra: $extra   file timeout ${file_timeout}s"
echo "# logs: $log_dir"
printf '%-24s %5s %5s %5s %5s %6s  %-12s %5s\n' unit ok err exc skip ignore status secs

sub=""
trap '[ -z "$sub" ] || reap_group "$sub"; exit 130' INT TERM
t0=$(date +%s)
for u in "${units[@]}"; do
    u=${u#tests/}; u=${u%.tcl}
    safe=$(tr '/' '_' <<<"$u")
    log=$log_dir/$safe.log
    if [ ! -f "$suite/tests/$u.tcl" ]; then
        echo "run-own: no such unit file tests/$u.tcl" >&2
        printf '%s\t0\t1\t0\t0\t0\tNO-FILE\t-\t0\n' "$u" >>"$summary"
        continue
    fi
    [ -f "$suite/tests/test_helper.tcl" ] || tree_setup
    wrapper_write || die "cannot write $wrapper"
    tree_id=$(stat -c %i "$suite/tests" "$wrapper" 2>/dev/null | tr '\n' ' ')
    f0=$(date +%s)
    for attempt in 1 2 3; do
        # timeout(1) without --foreground makes its own process group: on expiry the suite,
        # its clients and the servers they started all get the signal.
        # shellcheck disable=SC2086  # EXTRA_ARGS is a list of flags
        # umask 077: the data directories the suite makes are then 0700 (Redoubt refuses to
        # start on a directory open to group or others, as an operator's would be)
        ( cd "$suite" && umask 077 && exec env TERM=dumb timeout -k 15 "$file_timeout" \
            "$tclsh" tests/test_helper.tcl --single "$u" --tags "$tags" --clients 1 \
            --timeout "$test_timeout" --baseport "$baseport" --portcount "$portcount" \
            --dont-clean $extra ) >"$log.raw" 2>&1 </dev/null &
        sub=$!   # timeout(1) is exec'ed: its pid is the group's id
        wait "$sub"; rc=$?
        reap_group "$sub"; sub=""
        # the suite's own socket was taken between its probe and its bind: try again
        grep -q '^\[ok\]' "$log.raw" || ! grep -q "^couldn't open socket: address already in use" "$log.raw" || {
            sleep 2; continue; }
        break
    done
    secs=$(($(date +%s) - f0))
    sed 's/\x1b\[[0-9;]*m//g' "$log.raw" >"$log" && rm -f "$log.raw"
    # Keep what the servers said (the suite empties tests/tmp at its next start). Every
    # server's directory is tests/tmp/<name>.<client pid>.<n>, its config redis.conf.<pid>.<n>.
    cpid=$(sed -n 's/^\[ready\]: \([0-9]*\)$/\1/p' "$log" | head -n 1)
    nostart=""; nservers=0; nfailed=0
    if [ -n "$cpid" ]; then
        mkdir -p "$log_dir/$safe.servers"
        cp "$suite"/tests/tmp/redis.conf."$cpid".* "$log_dir/$safe.servers/" 2>/dev/null
        # in start order (the <n> suffix), so that "first" below is the first to fail
        while IFS= read -r d; do
            [ -f "$d/stdout" ] || continue
            n=$(basename "$d")
            cp "$d/stdout" "$log_dir/$safe.servers/$n.stdout"
            [ -f "$d/stderr" ] && cp "$d/stderr" "$log_dir/$safe.servers/$n.stderr"
            nservers=$((nservers + 1))
            if ! grep -q "Ready to accept" "$d/stdout"; then
                # a server that never got ready: its last words (stderr, else stdout)
                nfailed=$((nfailed + 1))
                if [ -z "$nostart" ]; then
                    nostart=$(sed 's/\x1b\[[0-9;]*m//g' "$d/stderr" 2>/dev/null | grep -v '^[[:space:]]*$' | tail -n 1)
                    [ -n "$nostart" ] || nostart=$(grep -v '^###\|^[[:space:]]*$' "$d/stdout" | tail -n 1)
                    nostart="$n: ${nostart:-no output}"
                fi
            fi
        done < <(for d in "$suite"/tests/tmp/*."$cpid".*; do [ -d "$d" ] && printf '%s\t%s\n' "${d##*.}" "$d"; done |
                 sort -n | cut -f2-)
        rm -rf "$suite"/tests/tmp/redis.conf."$cpid".* "$suite"/tests/tmp/*."$cpid".*
    fi

    ok=$(count ok "$log"); err=$(count err "$log"); exc=$(count exception "$log")
    skip=$(count skip "$log"); ign=$(count ignore "$log")
    if [ "$(stat -c %i "$suite/tests" "$wrapper" 2>/dev/null | tr '\n' ' ')" != "$tree_id" ]; then
        status=TREE-CHANGED   # someone re-extracted the tree (setup.sh) during the file: rerun it
    elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then status=HARD-TIMEOUT
    elif grep -q '^\[TIMEOUT\]' "$log"; then status=TIMEOUT
    elif [ "$exc" -gt 0 ]; then status=EXCEPTION
    elif ! grep -q '^\[[0-9]*/[0-9]* done\]' "$log"; then status=CRASH
    elif [ "$err" -gt 0 ]; then status=FAIL
    else status=OK
    fi
    [ "$status" = HARD-TIMEOUT ] && echo "run-own: killed after ${file_timeout}s (FILE_TIMEOUT)" >>"$log"
    printf '%-24s %5d %5d %5d %5d %6d  %-12s %5d\n' "$u" "$ok" "$err" "$exc" "$skip" "$ign" "$status" "$secs"
    printf '%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%d\n' "$u" "$ok" "$err" "$exc" "$skip" "$ign" "$status" "$rc" "$secs" >>"$summary"
    if [ "$status" != OK ]; then
        p=$(first_problem "$log")
        [ -n "$p" ] || p="$status: $(grep -v '^\[ok\]' "$log" | tail -n 1 | cut -c1-300)"
        printf '%s\t%s\n' "$u" "$p" >>"$problems"
    fi
    if [ "$nfailed" -gt 0 ]; then
        printf '%s\t%s\n' "$u" "$nfailed of $nservers servers never got ready; first: $(cut -c1-300 <<<"$nostart")" >>"$problems"
    fi
done
total=$(($(date +%s) - t0))

# 4. first problems, then the comparison
if [ -s "$problems" ]; then
    echo
    echo "# first problem per file (full output in $log_dir/UNIT.log, server logs in UNIT.servers/):"
    awk -F'\t' '{ printf "#   %s: %s\n", $1, $2 }' "$problems"
fi
echo
[ -f "$baseline" ] || { echo "# no baseline at $baseline"; baseline=/dev/null; }
awk -F'\t' -v secs="$total" -v OFS='\t' '
    FNR == 1 { next }
    FILENAME == ARGV[1] { base[$1] = $2; next }
    {
        order[++n] = $1; ok[$1] = $2; exc[$1] = $4; st[$1] = $7
        # a file that did not run to its end counts one failure more (as run-suite.sh does)
        err[$1] = $3 + $4 + ($7 ~ /^(OK|FAIL|EXCEPTION)$/ ? 0 : 1)
    }
    END {
        printf "%-24s %6s %6s %-13s %8s %6s\n", "unit", "ok", "err", "status", "baseline", "%"
        for (i = 1; i <= n; i++) {
            u = order[i]; b = (u in base) ? base[u] : "-"
            pct = (b == "-" || b == 0) ? "-" : sprintf("%.0f%%", 100 * ok[u] / b)
            printf "%-24s %6d %6d %-13s %8s %6s\n", u, ok[u], err[u], st[u], b, pct
            tok += ok[u]; terr += err[u]; if (b != "-") tb += b
        }
        printf "%-24s %6d %6d %-13s %8d %6s\n", "TOTAL", tok, terr, "", tb, (tb ? sprintf("%.0f%%", 100 * tok / tb) : "-")
        printf "# %ds\n", secs
        printf "%d passed, %d failed\n", tok, terr
        exit (terr > 0)
    }' "$baseline" "$summary"
st=$?
tot=$(awk -F'\t' -v OFS='\t' -v secs="$total" 'NR > 1 { for (i = 2; i <= 6; i++) t[i] += $i }
    END { print "TOTAL", t[2] + 0, t[3] + 0, t[4] + 0, t[5] + 0, t[6] + 0, "-", "-", secs }' "$summary")
printf '%s\n' "$tot" >>"$summary"
exit "$st"
