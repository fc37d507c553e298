#!/usr/bin/env python3
"""redis_py.py HOST PORT

Drives a running Redis-protocol server with redis-py, over RESP2 and RESP3
(protocol=3), and prints "ok NAME" / "FAIL NAME: why" lines. Exits 1 if any failed.
"""

import os
import random
import sys
import traceback

import redis
from redis.exceptions import ResponseError

HOST = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 6379
TIMEOUT = float(os.environ.get("INTEROP_CMD_TIMEOUT", "20"))
RUN = "ipy:%d:%d:" % (os.getpid(), random.randrange(1 << 30))

passed = 0
failed = 0


class Mismatch(Exception):
    pass


def expect(what, got, want):
    if got != want:
        raise Mismatch("%s: expected %r, got %r" % (what, want, got))


def expect_error(what, fn, message):
    """fn() must raise ResponseError (the class itself) whose text is `message`
    (redis-py strips the leading "ERR ")."""
    try:
        got = fn()
    except ResponseError as e:
        if type(e) is not ResponseError:
            raise Mismatch("%s: expected ResponseError, got %s: %s" % (what, type(e).__name__, e))
        if str(e) != message:
            raise Mismatch("%s: expected error %r, got %r" % (what, message, str(e)))
        return
    raise Mismatch("%s: expected ResponseError %r, got reply %r" % (what, message, got))


def client(proto):
    return redis.Redis(host=HOST, port=PORT, protocol=proto, socket_timeout=TIMEOUT,
                       socket_connect_timeout=TIMEOUT, single_connection_client=True)


def t_ping(r, p):
    expect("PING", r.ping(), True)
    expect("ECHO", r.echo(b"hi"), b"hi")


def t_binary_safe(r, p):
    value = bytes(range(256))
    key = p.encode() + b"bin\x00\r\n\xff"
    expect("SET binary", r.set(key, value), True)
    expect("GET binary", r.get(key), value)
    expect("STRLEN", r.strlen(key), 256)
    for b in range(256):  # every byte value alone, as key suffix and as value
        one = bytes([b])
        r.set(p.encode() + b"byte:" + one, one * 3)
    for b in range(256):
        one = bytes([b])
        expect("GET byte %d" % b, r.get(p.encode() + b"byte:" + one), one * 3)
    expect("GET missing", r.get(p + "missing"), None)
    expect("SET empty", r.set(p + "empty", b""), True)
    expect("GET empty", r.get(p + "empty"), b"")


def t_pipeline(r, p):
    pipe = r.pipeline(transaction=False)
    for i in range(1000):
        pipe.set("%spl:%d" % (p, i), "v%d" % i)
    res = pipe.execute()
    expect("1000 pipelined SET", res, [True] * 1000)
    pipe = r.pipeline(transaction=False)
    for i in range(1000):
        if i % 2:
            pipe.get("%spl:%d" % (p, i))
        else:
            pipe.incr("%spc" % p)
    res = pipe.execute()
    want = [(i // 2 + 1) if i % 2 == 0 else ("v%d" % i).encode() for i in range(1000)]
    expect("1000 pipelined GET/INCR", res, want)


def t_incrbyfloat(r, p):
    k = p + "float"
    r.set(k, "10.5")
    expect("INCRBYFLOAT 0.1", r.incrbyfloat(k, 0.1), 10.6)
    expect("GET after INCRBYFLOAT", r.get(k), b"10.6")
    got = r.incrbyfloat(k, "5.0e3")
    if abs(got - 5010.6) > 1e-9:
        raise Mismatch("INCRBYFLOAT 5.0e3: got %r" % got)
    expect("INCRBYFLOAT missing key", r.incrbyfloat(p + "newfloat", 1.5), 1.5)
    r.set(p + "notfloat", "abc")
    expect_error("INCRBYFLOAT on a non-float", lambda: r.incrbyfloat(p + "notfloat", 1),
                 "value is not a valid float")


def t_getex(r, p):
    k = p + "getex"
    r.set(k, "v")
    expect("GETEX EX 100", r.getex(k, ex=100), b"v")
    ttl = r.ttl(k)
    if ttl not in (99, 100):
        raise Mismatch("TTL after GETEX EX 100: %r" % ttl)
    expect("GETEX PX", r.getex(k, px=50000), b"v")
    pttl = r.pttl(k)
    if not 40000 < pttl <= 50000:
        raise Mismatch("PTTL after GETEX PX 50000: %r" % pttl)
    expect("GETEX PERSIST", r.getex(k, persist=True), b"v")
    expect("TTL after PERSIST", r.ttl(k), -1)
    expect("GETEX no option", r.getex(k), b"v")
    expect("GETEX missing", r.getex(p + "nokey", ex=10), None)


def t_scan(r, p):
    want = set()
    for i in range(250):
        want.add(("%sscan:%d" % (p, i)).encode())
    r.mset({k: b"x" for k in want})
    seen = []
    cursor, rounds = 0, 0
    while True:
        cursor, keys = r.scan(cursor=cursor, match=p + "scan:*", count=20)
        seen.extend(keys)
        rounds += 1
        if cursor == 0 or rounds > 10000:
            break
    if set(seen) != want:
        raise Mismatch("SCAN MATCH: %d keys seen, %d distinct, %d expected"
                       % (len(seen), len(set(seen)), len(want)))
    if rounds < 2:
        raise Mismatch("SCAN COUNT 20 over 250+ keys finished in one call")
    expect("scan_iter", set(r.scan_iter(match=p + "scan:*", count=100)), want)


def t_client_name(r, p):
    expect("CLIENT GETNAME unset", r.client_getname(), None)
    expect("CLIENT SETNAME", r.client_setname("interop-py"), True)
    name = r.client_getname()  # redis-py decodes it to str over RESP2, not over RESP3
    expect("CLIENT GETNAME", name.encode() if isinstance(name, str) else name, b"interop-py")
    expect_error("CLIENT SETNAME with a space", lambda: r.client_setname("bad name"),
                 "Client names cannot contain spaces, newlines or special characters.")


def t_info(r, p):
    info = r.info()
    if not isinstance(info, dict) or not info:
        raise Mismatch("INFO did not parse into a non-empty dict: %r" % (info,))
    mem = r.info("memory")
    if not isinstance(mem.get("used_memory"), int):
        raise Mismatch("INFO memory: used_memory missing or not an integer: %r" % (mem,))
    keyspace = r.info("keyspace")
    if not isinstance(keyspace, dict):
        raise Mismatch("INFO keyspace did not parse: %r" % (keyspace,))


def t_errors(r, p):
    k = p + "notint"
    r.set(k, "abc")
    expect_error("INCR on a non-integer", lambda: r.incr(k),
                 "value is not an integer or out of range")
    expect_error("INCRBY overflow", lambda: (r.set(p + "big", str(2**63 - 1)), r.incr(p + "big")),
                 "increment or decrement would overflow")
    expect_error("unknown command", lambda: r.execute_command("FOO", "bar"),
                 "unknown command 'FOO', with args beginning with: 'bar' ")
    expect_error("wrong arity", lambda: r.execute_command("GET"),
                 "wrong number of arguments for 'get' command")
    expect_error("SET with a bad option", lambda: r.execute_command("SET", k, "v", "BOGUS"),
                 "syntax error")
    expect("connection still usable", r.ping(), True)


def t_resp3(r, p):
    hello = r.execute_command("HELLO", 3)
    if not isinstance(hello, dict) or hello.get(b"proto") != 3:
        raise Mismatch("HELLO 3 over protocol=3: expected a map with proto 3, got %r" % (hello,))


def t_tracking_redirect(r, p):
    """CLIENT TRACKING with REDIRECT to a RESP2 subscriber of __redis__:invalidate, read with
    redis-py's parser (redis-py's own cache needs a server announcing 7.4)."""
    k = p + "tracked"
    listener = client(2)
    reader = client(2)
    try:
        conn = listener.connection
        listener_id = listener.client_id()
        conn.send_command("SUBSCRIBE", "__redis__:invalidate")
        expect("subscribe confirmation", conn.read_response(), [b"subscribe", b"__redis__:invalidate", 1])
        expect("CLIENT TRACKING", reader.execute_command("CLIENT", "TRACKING", "ON", "REDIRECT", listener_id), b"OK")
        expect("CLIENT GETREDIR", reader.execute_command("CLIENT", "GETREDIR"), listener_id)
        reader.get(k)
        r.set(k, "1")
        expect("invalidation", conn.read_response(), [b"message", b"__redis__:invalidate", [k.encode()]])
    finally:
        listener.close()
        reader.close()


TESTS = [
    ("ping", t_ping),
    ("binary-safe", t_binary_safe),
    ("pipeline-1000", t_pipeline),
    ("incrbyfloat", t_incrbyfloat),
    ("getex", t_getex),
    ("scan", t_scan),
    ("client-setname-getname", t_client_name),
    ("info", t_info),
    ("errors", t_errors),
]


def main():
    global passed, failed
    for proto in (2, 3):
        tests = TESTS + ([("hello-map", t_resp3)] if proto == 3 else [("tracking-redirect", t_tracking_redirect)])
        try:
            r = client(proto)
            r.ping()
        except Exception as e:  # cannot even connect: every test of this protocol fails
            for name, _ in tests:
                print("FAIL %s[resp%d]: cannot connect: %s: %s" % (name, proto, type(e).__name__, e))
                failed += 1
            continue
        for name, fn in tests:
            label = "%s[resp%d]" % (name, proto)
            prefix = "%sp%d:%s:" % (RUN, proto, name)
            try:
                fn(r, prefix)
            except Mismatch as e:
                print("FAIL %s: %s" % (label, e))
                failed += 1
            except Exception as e:
                tb = traceback.extract_tb(e.__traceback__)[-1]
                print("FAIL %s: %s: %s (line %d)" % (label, type(e).__name__, e, tb.lineno))
                failed += 1
                try:  # a broken connection must not fail every later test
                    r.close()
                except Exception:
                    pass
                r = client(proto)
            else:
                print("ok %s" % label)
                passed += 1
        r.close()
    print("# redis_py: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
