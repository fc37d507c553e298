# shellcheck shell=bash
# Installs, when missing, what Redoubt's test and benchmark scripts need.
# Sourced by scripts/test, tests/interop/run.sh, bench/run and redis-suite/run-redoubt.sh.
# Quiet and idempotent: nothing is downloaded when everything is already present.
#
#   deps_redis        redis-server, redis-cli, redis-benchmark (Debian: redis-server, redis-tools)
#   deps_redis_py     the redis-py client library (PyPI: redis)
#   deps_tcl          tclsh (Debian: tcl), for Redis's own test suite
#   deps_shellcheck   shellcheck (Debian: shellcheck); returns 1 if it cannot be installed
#
# Set REDOUBT_NO_INSTALL=1 to forbid installs (a missing tool is then an error).

_deps_apt_updated=0

_deps_as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo -n "$@"
    else
        echo "deps: need root to run: $*" >&2
        return 1
    fi
}

# deps_apt_install PKG... : apt-get update (once per process), then install quietly.
deps_apt_install() {
    if [ "${REDOUBT_NO_INSTALL:-0}" = 1 ]; then
        echo "deps: missing Debian package(s) $* and REDOUBT_NO_INSTALL=1" >&2
        return 1
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "deps: apt-get not found; install $* by hand" >&2
        return 1
    fi
    echo "deps: installing $* (apt)" >&2
    local log rc=0
    log=$(mktemp)
    if [ "$_deps_apt_updated" = 0 ]; then
        _deps_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$log" 2>&1 || rc=$?
        [ "$rc" -eq 0 ] && _deps_apt_updated=1
    fi
    if [ "$rc" -eq 0 ]; then
        _deps_as_root env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq --no-install-recommends "$@" >"$log" 2>&1 || rc=$?
    fi
    [ "$rc" -eq 0 ] || { echo "deps: apt-get failed (exit $rc):" >&2; tail -n 20 "$log" >&2; }
    rm -f "$log"
    return "$rc"
}

deps_redis() {
    local pkgs=()
    command -v redis-server >/dev/null 2>&1 || pkgs+=(redis-server)
    if ! command -v redis-cli >/dev/null 2>&1 || ! command -v redis-benchmark >/dev/null 2>&1; then
        pkgs+=(redis-tools)
    fi
    [ "${#pkgs[@]}" -eq 0 ] || deps_apt_install "${pkgs[@]}"
}

deps_tcl() {
    command -v tclsh >/dev/null 2>&1 || deps_apt_install tcl
}

deps_python() {
    command -v python3 >/dev/null 2>&1 || deps_apt_install python3 python3-pip
}

deps_redis_py() {
    deps_python || return 1
    python3 -c 'import redis' >/dev/null 2>&1 && return 0
    if [ "${REDOUBT_NO_INSTALL:-0}" = 1 ]; then
        echo "deps: python module redis missing and REDOUBT_NO_INSTALL=1" >&2
        return 1
    fi
    echo "deps: installing redis-py (pip)" >&2
    python3 -m pip install -q --disable-pip-version-check redis >/dev/null 2>&1 \
        || python3 -m pip install -q --disable-pip-version-check --break-system-packages redis >/dev/null \
        || return 1
    python3 -c 'import redis' >/dev/null 2>&1
}

deps_shellcheck() {
    command -v shellcheck >/dev/null 2>&1 || deps_apt_install shellcheck
}

# Everything the interop checks need.
deps_interop() {
    deps_redis && deps_redis_py
}
