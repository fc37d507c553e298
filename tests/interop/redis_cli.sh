#!/usr/bin/env bash
# redis_cli.sh HOST PORT
# Drives a running Redis-protocol server with redis-cli (and raw sockets for inline
# commands and the HTTP probe) and checks the output byte for byte. Prints
# "ok NAME" / "FAIL NAME: why" lines; exits 1 if anything failed.
#
# The last check sends SHUTDOWN: the server must exit, or refuse with NOPERM (Redoubt keeps
# SHUTDOWN for admin users). Set INTEROP_SHUTDOWN=0 to skip it; SERVER_PID (optional) lets
# the check wait for that process to exit.
set -euo pipefail

HOST=${1:-127.0.0.1}
PORT=${2:?usage: redis_cli.sh HOST PORT}
T=${INTEROP_CMD_TIMEOUT:-20}
P="icli:$$:$RANDOM:"            # key prefix: this run's keys only
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

pass=0
fail=0
ok() { echo "ok $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1: $2"; fail=$((fail + 1)); }
q() { printf '%q' "$1"; }

cli() { timeout "$T" redis-cli -h "$HOST" -p "$PORT" "$@" </dev/null 2>&1; }

# check NAME EXPECTED ARGS... : redis-cli ARGS must print exactly EXPECTED
# (trailing newlines aside). Several checks may share one NAME: the first failure is kept.
declare -A failed_names=()
check() {
    local name=$1 want=$2 got
    shift 2
    got=$(cli "$@") || true
    if [ "$got" != "$want" ]; then
        note "$name" "'$*': expected $(q "$want"), got $(q "$got")"
    fi
}
# note NAME WHY: record a failure of NAME (the first one is kept)
note() { [ -n "${failed_names[$1]:-}" ] || failed_names[$1]=$2; }
# end NAME: report one ok/FAIL line for a group of check calls
end() {
    if [ -n "${failed_names[$1]:-}" ]; then bad "$1" "${failed_names[$1]}"; else ok "$1"; fi
}

# raw PAYLOAD [TIMEOUT] : send PAYLOAD (printf %b escapes) on a fresh TCP connection, then
# read until the server closes it (payloads end with QUIT). Output in $TMP/raw.out; exit
# status 124 if the connection was still open after TIMEOUT seconds (10).
raw() {
    # shellcheck disable=SC2016  # the inner script expands its own $0 $1 $2
    timeout "${2:-10}" bash -c '
        exec 3<>"/dev/tcp/$0/$1" || exit 1
        printf "%b" "$2" >&3
        cat <&3
    ' "$HOST" "$PORT" "$1" >"$TMP/raw.out" 2>/dev/null
}
shown() { od -An -c "$1" | tr -s ' ' | tr -d '\n' | cut -c1-400; }

# ---------------------------------------------------------------------------------------
check ping "PONG" PING
check ping "hello" PING hello
end ping

check set-get "OK" SET "${P}str" "hello world"
check set-get "hello world" GET "${P}str"
check set-get "" GET "${P}missing"
check set-get "OK" SET "${P}str" "second"
check set-get "second" GET "${P}str"
end set-get

check incr "OK" SET "${P}n" 10
check incr "11" INCR "${P}n"
check incr "16" INCRBY "${P}n" 5
check incr "15" DECR "${P}n"
check incr "1" INCR "${P}fresh"
check incr "ERR value is not an integer or out of range" INCR "${P}str"
end incr

check mset-mget "OK" MSET "${P}a" 1 "${P}b" 2 "${P}c" 3
check mset-mget $'1\n2\n\n3' MGET "${P}a" "${P}b" "${P}missing" "${P}c"
end mset-mget

check expire-ttl "OK" SET "${P}e" v
check expire-ttl "-1" TTL "${P}e"
check expire-ttl "1" EXPIRE "${P}e" 100
got=$(cli TTL "${P}e")
case "$got" in 99 | 100) ;; *) note expire-ttl "TTL after EXPIRE 100: got $(q "$got")" ;; esac
check expire-ttl "-2" TTL "${P}missing"
check expire-ttl "0" EXPIRE "${P}missing" 10
check expire-ttl "1" PERSIST "${P}e"
check expire-ttl "-1" TTL "${P}e"
check expire-ttl "OK" SET "${P}short" v PX 100
sleep 0.3
check expire-ttl "0" EXISTS "${P}short"
check expire-ttl "" GET "${P}short"
end expire-ttl

check del "2" DEL "${P}a" "${P}b" "${P}missing"
check del "" GET "${P}a"
check del "0" DEL "${P}a"
end del

check exists "2" EXISTS "${P}c" "${P}c" "${P}missing"
check exists "0" EXISTS "${P}a"
end exists

check keys "OK" MSET "${P}k:1" a "${P}k:2" b "${P}k:3" c "${P}k:10" d
got=$(cli KEYS "${P}k:*" | sort)
want=$(printf '%s\n' "${P}k:1" "${P}k:10" "${P}k:2" "${P}k:3" | sort)
[ "$got" = "$want" ] || note keys "KEYS ${P}k:*: expected $(q "$want"), got $(q "$got")"
got=$(cli KEYS "${P}k:[12]" | sort)
want=$(printf '%s\n' "${P}k:1" "${P}k:2" | sort)
[ "$got" = "$want" ] || note keys "KEYS ${P}k:[12]: expected $(q "$want"), got $(q "$got")"
check keys "" KEYS "${P}nomatch*"
end keys

# SCAN: 300 keys, redis-cli --scan iterates the cursor (COUNT 10 by default) to the end.
args=(MSET)
for i in $(seq 0 299); do args+=("${P}s:$i" "$i"); done
check scan "OK" "${args[@]}"
got=$(cli --scan --pattern "${P}s:*" | sort)
want=$(for i in $(seq 0 299); do echo "${P}s:$i"; done | sort)
if [ "$got" != "$want" ]; then
    note scan "--scan --pattern ${P}s:* returned $(printf '%s\n' "$got" | grep -c .) keys ($(printf '%s\n' "$got" | sort | uniq -d | grep -c . || true) duplicated), expected 300 distinct"
fi
end scan

# -x: the last argument is read from stdin, byte for byte (trailing newline included).
printf 'line one\nline two\n' >"$TMP/x.in"
got=$(timeout "$T" redis-cli -h "$HOST" -p "$PORT" -x SET "${P}x" <"$TMP/x.in" 2>&1) || true
[ "$got" = OK ] || note stdin-x "-x SET: got $(q "$got")"
check stdin-x "18" STRLEN "${P}x"
cli GET "${P}x" >"$TMP/x.out" || true
printf 'line one\nline two\n\n' >"$TMP/x.want"   # redis-cli adds one newline after a value
cmp -s "$TMP/x.out" "$TMP/x.want" || note stdin-x "GET after -x SET: got $(shown "$TMP/x.out")"
end stdin-x

# --pipe: mass insertion of 10k SETs from a generated RESP file.
before=$(cli DBSIZE)
awk -v p="${P}pipe:" 'BEGIN {
    for (i = 0; i < 10000; i++) {
        k = p i; v = "value-" i
        printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, length(v), v
    }
}' >"$TMP/mass.resp"
got=$(timeout 120 redis-cli -h "$HOST" -p "$PORT" --pipe <"$TMP/mass.resp" 2>&1) || true
if ! grep -q '^errors: 0, replies: 10000$' <<<"$got"; then
    note pipe-mass-insert "--pipe output: $(q "$got")"
fi
after=$(cli DBSIZE)
if ! [[ "$before" =~ ^[0-9]+$ && "$after" =~ ^[0-9]+$ ]] || [ "$after" -ne $((before + 10000)) ]; then
    note pipe-mass-insert "DBSIZE before $(q "$before"), after $(q "$after"), expected +10000"
fi
check pipe-mass-insert "value-9999" GET "${P}pipe:9999"
check pipe-mass-insert "value-0" GET "${P}pipe:0"
end pipe-mass-insert

# Inline commands over a raw socket.
if raw 'PING\r\nQUIT\r\n'; then :; fi
printf '+PONG\r\n+OK\r\n' >"$TMP/want"
cmp -s "$TMP/raw.out" "$TMP/want" || note inline "PING: got $(shown "$TMP/raw.out")"
raw "SET ${P}inl \"a b\"\r\nGET ${P}inl\r\nEXISTS  ${P}inl   ${P}inl \r\nQUIT\r\n" || true
# shellcheck disable=SC2016  # a literal RESP "$3"
printf '+OK\r\n$3\r\na b\r\n:2\r\n+OK\r\n' >"$TMP/want"
cmp -s "$TMP/raw.out" "$TMP/want" || note inline "quoted SET/GET: got $(shown "$TMP/raw.out")"
end inline

# RESP3: HELLO 3 through redis-cli -3, and the wire format over a raw socket.
got=$(cli -3 HELLO 3)
grep -qx 'proto 3' <<<"$got" || note resp3-hello "redis-cli -3 HELLO 3: no 'proto 3' line in $(q "$got")"
raw "HELLO 3\r\nGET ${P}missing\r\nQUIT\r\n" || true
first=$(head -c1 "$TMP/raw.out")
[ "$first" = "%" ] || note resp3-hello "HELLO 3 reply is not a RESP3 map: $(shown "$TMP/raw.out")"
tail -c 10 "$TMP/raw.out" >"$TMP/tail"
printf '\r\n_\r\n+OK\r\n' >"$TMP/want"
cmp -s "$TMP/tail" "$TMP/want" || note resp3-hello "GET of a missing key after HELLO 3 is not the RESP3 null '_': $(shown "$TMP/raw.out")"
end resp3-hello

check unknown-command "ERR unknown command 'foo', with args beginning with: 'bar' " foo bar
end unknown-command

check wrong-arity "ERR wrong number of arguments for 'get' command" GET
check wrong-arity "ERR wrong number of arguments for 'set' command" SET onlykey
end wrong-arity

# Cross-protocol attack: an HTTP request line must close the connection before any
# command in the same packet runs.
check http-probe "0" EXISTS pwned
rc=0
raw 'POST / HTTP/1.1\r\nHost: x\r\nSET pwned 1\r\n' 5 || rc=$?
if [ "$rc" -eq 124 ]; then
    note http-probe "connection still open 5 s after an HTTP request line"
elif grep -q '+OK' "$TMP/raw.out"; then
    note http-probe "server answered +OK: $(shown "$TMP/raw.out")"
fi
check http-probe "0" EXISTS pwned
check http-probe "PONG" PING
end http-probe

# SHUTDOWN last: the server exits, or refuses because it is an admin command.
if [ "${INTEROP_SHUTDOWN:-1}" = 1 ]; then
    got=$(cli SHUTDOWN) || true
    case "$got" in
        NOPERM*)
            ok "shutdown (refused for the default user: ${got%%$'\n'*})" ;;
        "" | *"Connection refused"* | *"Server closed"* | *"Error"*)
            gone=0
            for _ in $(seq 1 100); do
                if [ -n "${SERVER_PID:-}" ]; then
                    if ! kill -0 "$SERVER_PID" 2>/dev/null ||
                        [ "$(ps -o stat= -p "$SERVER_PID" 2>/dev/null | cut -c1)" = Z ]; then
                        gone=1; break
                    fi
                elif ! cli PING | grep -q PONG; then
                    gone=1; break
                fi
                sleep 0.1
            done
            if [ "$gone" = 1 ]; then ok shutdown; else bad shutdown "server still running 10 s after SHUTDOWN (reply $(q "$got"))"; fi
            ;;
        *) bad shutdown "unexpected reply $(q "$got")" ;;
    esac
fi

echo "# redis_cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
