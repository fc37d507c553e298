#!/bin/sh
# redis-suite/redoubt-as-redis.sh CONFIG [ARGS ...]
#
# Redoubt as the server Redis's own test suite starts (run-own.sh: SERVER_BIN=this script).
# The suite expects Redis's default user, which may run everything; Redoubt's default user has
# only the data surface, and refuses `--user` on the command line. So, when the suite's
# generated CONFIG defines no users itself (no `user` line, no `aclfile`, no `requirepass`:
# a `user default` line would replace the password, as in Redis), this adds
#   --include <dir of CONFIG>/redoubt-full-default.conf
# holding `user default on nopass ~* &* +@all` (written 0600, as Redoubt requires of a file
# holding a user line). Tests that declare their own users (`user ...` overrides, an aclfile,
# requirepass) get exactly what they declared, on Redoubt's rules: an aclfile without a
# `default` line, or requirepass alone, gives Redoubt's secure default user, whose surface is
# data only (see docs/compatibility.md).
#
# Replication: the suite pairs servers on loopback (SLAVEOF 127.0.0.1 <port> run as an admin),
# while Redoubt lets REPLICAOF name only primaries its configuration allows. This test harness
# therefore appends
#   --replica-allowed-primaries "127.0.0.1:* localhost:*"
# to every start. An operator's install never gets that from here: it is a test permission.
#
# exec keeps the PID the suite waits for.
#   REDOUBT_BIN  [${CARGO_TARGET_DIR:-target}/debug/redoubt, relative to the repository]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=${REDOUBT_BIN:-${CARGO_TARGET_DIR:-$here/../target}/debug/redoubt}
conf=${1:-}
if [ -z "$conf" ] || [ ! -f "$conf" ] || grep -Eq '^[[:space:]]*(user|aclfile|requirepass)[[:space:]]' "$conf"; then
    exec "$bin" "$@" --replica-allowed-primaries "127.0.0.1:* localhost:*"
fi
shift
full=$(dirname "$conf")/redoubt-full-default.conf
(umask 077 && printf 'user default on nopass ~* &* +@all\n' >"$full.tmp.$$" && mv -f "$full.tmp.$$" "$full")
exec "$bin" "$conf" --include "$full" "$@" --replica-allowed-primaries "127.0.0.1:* localhost:*"
