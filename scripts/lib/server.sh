# shellcheck shell=bash
# Start and stop Redis-protocol servers for tests and benchmarks, on 127.0.0.1 only.
# Sourced. Every server started here is tracked by PID; call servers_stop_all from an
# EXIT trap (servers_install_trap does that) so nothing outlives the script.
#
#   port_pick                      prints a free TCP port in PORT_MIN..PORT_MAX (7100..7199)
#   server_start NAME DIR LOG CMD...
#                                  runs "CMD... --port P --bind 127.0.0.1" in DIR with output
#                                  to LOG, waits until it answers PING, and sets SERVER_PID,
#                                  SERVER_PORT. Retries another port if the server dies (e.g. a
#                                  port taken between probe and bind). Returns 1 on failure.
#   server_ping HOST PORT          0 if the server answers +PONG (or -NOAUTH) within 2 s
#   server_stop PID                TERM, then KILL after SERVER_STOP_WAIT seconds (10)
#   servers_stop_all               stops every server this shell started

PORT_MIN="${PORT_MIN:-7100}"
PORT_MAX="${PORT_MAX:-7199}"
SERVER_READY_WAIT="${SERVER_READY_WAIT:-30}"
SERVER_STOP_WAIT="${SERVER_STOP_WAIT:-10}"
_SERVER_PIDS=()

# port_free PORT: nothing bound to PORT on 127.0.0.1 (nor ::1 when the host has IPv6).
port_free() {
    python3 - "$1" <<'PY'
import socket, sys
port = int(sys.argv[1])
for fam, addr in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    try:
        s = socket.socket(fam, socket.SOCK_STREAM)
    except OSError:
        continue  # no IPv6 on this host
    try:
        s.bind((addr, port))
    except OSError as e:
        if fam == socket.AF_INET6 and e.errno == 99:  # EADDRNOTAVAIL: no ::1
            continue
        sys.exit(1)
    finally:
        s.close()
sys.exit(0)
PY
}

port_pick() {
    local span=$((PORT_MAX - PORT_MIN + 1)) start i p
    start=$(( (RANDOM + $$) % span ))
    for ((i = 0; i < span; i++)); do
        p=$((PORT_MIN + (start + i) % span))
        if port_free "$p"; then
            echo "$p"
            return 0
        fi
    done
    echo "server: no free port in $PORT_MIN..$PORT_MAX" >&2
    return 1
}

server_ping() {
    # shellcheck disable=SC2016  # the inner script expands its own $0 $1
    timeout 3 bash -c '
        exec 3<>"/dev/tcp/$0/$1" || exit 1
        printf "PING\r\n" >&3
        IFS= read -r -t 2 line <&3 || exit 1
        case "$line" in +PONG*|-NOAUTH*) exit 0 ;; *) exit 1 ;; esac
    ' "$1" "$2" 2>/dev/null
}

server_start() {
    local name=$1 dir=$2 log=$3 attempt port pid waited logsize
    shift 3
    for attempt in 1 2 3 4 5; do
        port=$(port_pick) || return 1
        logsize=$(stat -c %s "$log" 2>/dev/null || echo 0)
        ( cd "$dir" && exec "$@" --port "$port" --bind 127.0.0.1 ) >>"$log" 2>&1 </dev/null &
        pid=$!
        _SERVER_PIDS+=("$pid")
        waited=0
        while kill -0 "$pid" 2>/dev/null; do
            if server_ping 127.0.0.1 "$port"; then
                # shellcheck disable=SC2034  # read by the caller
                SERVER_PID=$pid SERVER_PORT=$port
                return 0
            fi
            if [ "$waited" -ge $((SERVER_READY_WAIT * 5)) ]; then
                echo "server: $name (pid $pid) did not answer PING on port $port within ${SERVER_READY_WAIT}s" >&2
                server_stop "$pid"
                return 1
            fi
            sleep 0.2
            waited=$((waited + 1))
        done
        wait "$pid" 2>/dev/null || true
        # Died before answering: a port race is retried; anything else shows in the log.
        if ! tail -c +$((logsize + 1)) "$log" | grep -qiE 'address already in use|addrinuse|os error 98'; then
            echo "server: $name exited before answering PING (attempt $attempt)" >&2
            return 1
        fi
        echo "server: $name: port $port taken, retrying" >&2
    done
    return 1
}

server_stop() {
    local pid=$1 i
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < SERVER_STOP_WAIT * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        # a reaped child disappears; a zombie child of ours is collected by wait below
        if [ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" = Z ]; then break; fi
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null && [ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" != Z ]; then
        echo "server: pid $pid ignored SIGTERM for ${SERVER_STOP_WAIT}s, sending SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

servers_stop_all() {
    local pid
    for pid in "${_SERVER_PIDS[@]}"; do
        server_stop "$pid"
    done
    _SERVER_PIDS=()
}

# server_rss_kb PID: resident set size in KiB, from /proc.
server_rss_kb() {
    awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null
}

# resolve_cmd PATH_OR_NAME: absolute path of a binary (so it still works after cd).
resolve_cmd() {
    case "$1" in
        */*) [ -x "$1" ] && echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")" ;;
        *) command -v "$1" ;;
    esac
}

# split_words NAME STRING: split STRING into shell words (quotes honoured, nothing expanded,
# no globbing) into the array NAME. E.g. split_words a '--save "" --user default on "~*"'
split_words() {
    local -n _out=$1
    _out=()
    local w
    while IFS= read -r -d '' w; do
        _out+=("$w")
    done < <(python3 -c 'import shlex, sys
for w in shlex.split(sys.argv[1]):
    sys.stdout.write(w + "\0")' "$2")
}
