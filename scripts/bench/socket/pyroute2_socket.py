"""pyroute2 on the socket benchmark (scripts/bench-socket.ts runs this inside the
benchmark's namespace: ip netns exec NS /usr/bin/python3 pyroute2_socket.py MODE ...).

Routes are those of scripts/bench/socket/routes.ts, rebuilt from their index by the same
formula. Each mode prints one JSON line; times cover the operations only (the import of
pyroute2 and the opening of the socket are left out).

  get N              route gets one at a time (IPRoute.route('get')), p50/p99 in us
  add N FAMILY [START]   route adds one at a time, each acknowledged (IPRoute.route('add'))
  dump FAMILY REPEATS    IPRoute.route('dump', family=...): every table, routes read into
                         the cross-check sums
"""
import json
import os
import resource
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from route_sums import add_route, zero_sums  # noqa: E402 (scripts/bench/route_sums.py)

try:
    from pyroute2 import IPRoute
    from pyroute2.netlink.exceptions import NetlinkError
except ImportError as e:
    print(json.dumps({"error": f"pyroute2 is not importable: {e}"}))
    sys.exit(0)

PREFIXES = []
for net in ("198.51.100", "203.0.113"):
    for plen in range(24, 33):
        step = 1 << (32 - plen)
        for host in range(0, 256, step):
            PREFIXES.append((f"{net}.{host}", plen))

NEXT_HOP = {
    4: ("192.0.2.1", "192.0.2.10"),
    6: ("2001:db8:1::1", "2001:db8:1::10"),
}


def route_of(family, i):
    if family == 4:
        dst, plen = PREFIXES[i % len(PREFIXES)]
        table = 254 if i < len(PREFIXES) else 1000 + i // len(PREFIXES)
    else:
        dst, plen = f"2001:db8:ff::{i >> 16:x}:{i & 0xffff:x}", 128
        table = 254
    return dst, plen, table


def get_dst(i):
    h = i % 512
    return f"{'198.51.100' if h < 256 else '203.0.113'}.{h % 256}"


def version():
    try:
        from importlib.metadata import version as v
        return v("pyroute2")
    except Exception:
        return "unknown"


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def mode_get(ipr, n):
    for i in range(200):
        ipr.route("get", dst=get_dst(i))
    lat = []
    prefsrc = 0
    c0 = cpu()
    t0 = time.perf_counter()
    for i in range(n):
        a = time.perf_counter()
        r = ipr.route("get", dst=get_dst(i))
        lat.append((time.perf_counter() - a) * 1e6)
        if r[0].get_attr("RTA_PREFSRC") is not None:
            prefsrc += 1
    secs = time.perf_counter() - t0
    lat.sort()
    return {"n": n, "inflight": 1, "p50us": lat[n // 2], "p99us": lat[int(n * 0.99)], "seconds": secs,
            "perSecond": n / secs, "prefsrc": prefsrc, "cpuSeconds": cpu() - c0}


def mode_add(ipr, n, family, start):
    gw, src = NEXT_HOP[family]
    oif = ipr.link_lookup(ifname="veth0")[0]
    failures = 0
    first = None
    c0 = cpu()
    t0 = time.perf_counter()
    for i in range(start, start + n):
        dst, plen, table = route_of(family, i)
        try:
            ipr.route("add", dst=dst, dst_len=plen, gateway=gw, prefsrc=src, oif=oif, table=table,
                      proto="boot", family=socket.AF_INET if family == 4 else socket.AF_INET6)
        except NetlinkError as e:
            failures += 1
            first = first or str(e)
    secs = time.perf_counter() - t0
    out = {"n": n, "seconds": secs, "perSecond": n / secs, "failures": failures, "cpuSeconds": cpu() - c0}
    if first:
        out["firstError"] = first
    return out


def mode_dump(ipr, family, repeats):
    af = socket.AF_INET if family == 4 else socket.AF_INET6
    ms = []
    cpus = []
    sums = None
    for _ in range(repeats):
        s = zero_sums()
        c0 = cpu()
        t0 = time.perf_counter()
        for msg in ipr.route("dump", family=af):
            add_route(s, msg)
        ms.append((time.perf_counter() - t0) * 1e3)
        cpus.append(cpu() - c0)
        sums = s
    return {"ms": ms, "cpuSeconds": cpus, "sums": sums}


def main():
    mode = sys.argv[1]
    ipr = IPRoute()
    try:
        if mode == "get":
            out = mode_get(ipr, int(sys.argv[2]))
        elif mode == "add":
            out = mode_add(ipr, int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) > 4 else 0)
        elif mode == "dump":
            out = mode_dump(ipr, int(sys.argv[2]), int(sys.argv[3]))
        else:
            raise SystemExit(f"unknown mode {mode}")
    finally:
        ipr.close()
    out["version"] = version()
    out["python"] = sys.version.split()[0]
    out["maxRss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps(out))


main()
