#!/usr/bin/env bash
# redis-suite/run-tls.sh
#
# Runs Redis 7.0.15's unit/tls against Redoubt served over TLS only, then against Debian's
# redis-server set up the same way, and prints both results (issue 4's comparison).
#   1. extracts the 7.0.15 tests/ and utils/ into a private tree ($SUITE_DIR) and makes the
#      suite's certificates with its own utils/gen-test-certs.sh (openssl, test-only);
#   2. Redoubt: port 0, tls-port P, the suite's server certificate and CA, and a config file
#      (0600) that gives the default user everything, as the external-mode suite needs;
#   3. redis-server: the same certificates and ports; both run as external servers
#      ("--host 127.0.0.1 --port P --tls"), needing Tcl's tls package (Debian: tcl-tls).
# In external mode the file stops, on both servers, at its replication test (start_server
# with overrides becomes CONFIG SET tls-cert-file), so its last two tests never run.
#
# Environment: REDOUBT_BIN [target/debug/redoubt, built first], REDIS_GIT_DIR
# [/work/.mirror/redis+redis/repo], SUITE_DIR [a temporary directory, removed at exit].
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../scripts/lib/deps.sh
. "$root/scripts/lib/deps.sh"
# shellcheck source-path=SCRIPTDIR source=../scripts/lib/server.sh
. "$root/scripts/lib/server.sh"

deps_redis
deps_tcl
echo 'package require tls' | tclsh >/dev/null 2>&1 || deps_apt_install tcl-tls
command -v openssl >/dev/null || deps_apt_install openssl

git_dir=${REDIS_GIT_DIR:-/work/.mirror/redis+redis/repo}
if [ -z "${REDOUBT_BIN:-}" ]; then
    (cd "$root" && cargo build --bin redoubt)
    REDOUBT_BIN=$root/target/debug/redoubt
fi
tree=${SUITE_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/redoubt-tls-suite.XXXXXX")}
cleanup() {
    servers_stop_all
    [ -n "${SUITE_DIR:-}" ] || rm -rf "$tree"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$tree"
git --git-dir="$git_dir" archive 7.0.15 tests utils src/version.h | tar -x -C "$tree"
(cd "$tree" && bash utils/gen-test-certs.sh >/dev/null 2>&1)
tls=$tree/tests/tls
chmod 600 "$tls"/*.key

# wait_tls PORT: until the server answers PING over TLS (with the suite's client certificate).
wait_tls() {
    local i
    for ((i = 0; i < 100; i++)); do
        if redis-cli -p "$1" --tls --cacert "$tls/ca.crt" --cert "$tls/client.crt" --key "$tls/client.key" \
            PING 2>/dev/null | grep -q PONG; then
            return 0
        fi
        sleep 0.2
    done
    echo "run-tls: no TLS server answering on port $1" >&2
    return 1
}

run_suite() { # name port
    (cd "$tree" && timeout 300 tclsh tests/test_helper.tcl --host 127.0.0.1 --port "$2" --tls \
        --single unit/tls --tags -needs:repl >"$tree/$1.log" 2>&1) || true
    local ok err clean=$tree/$1.results
    sed 's/\x1b\[[0-9;]*m//g' "$tree/$1.log" | grep -aE '^\[(ok|err|exception)\]' >"$clean" || true
    ok=$(grep -c '^\[ok\]' "$clean" || true)
    err=$(grep -cE '^\[(err|exception)\]' "$clean" || true)
    printf '%-14s ok %2d  err %2d\n' "$1" "$ok" "$err"
    sed 's/^/    /' "$clean"
}

work=$tree/work
mkdir -p "$work/redoubt-data" "$work/redis-data"
chmod 700 "$work/redoubt-data"
port=$(port_pick)
(umask 077 && cat >"$work/redoubt.conf" <<CONF
user default on nopass ~* &* +@all
port 0
bind 127.0.0.1
tls-port $port
tls-cert-file $tls/server.crt
tls-key-file $tls/server.key
tls-ca-cert-file $tls/ca.crt
dir $work/redoubt-data
CONF
)
"$REDOUBT_BIN" "$work/redoubt.conf" >"$work/redoubt.log" 2>&1 &
_SERVER_PIDS+=("$!")
wait_tls "$port"
run_suite redoubt "$port"

port=$(port_pick)
redis-server --port 0 --tls-port "$port" --bind 127.0.0.1 --save '' --dir "$work/redis-data" \
    --tls-cert-file "$tls/server.crt" --tls-key-file "$tls/server.key" --tls-ca-cert-file "$tls/ca.crt" \
    --tls-client-cert-file "$tls/client.crt" --tls-client-key-file "$tls/client.key" \
    --tls-dh-params-file "$tls/redis.dh" >"$work/redis.log" 2>&1 &
_SERVER_PIDS+=("$!")
wait_tls "$port"
run_suite redis-server "$port"
