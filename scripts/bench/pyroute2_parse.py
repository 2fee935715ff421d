"""pyroute2's parser on the decode benchmark's recording (scripts/bench.ts runs this).

Reads [u32 length][datagram] records, parses each datagram with pyroute2's rtnetlink
marshal (MarshalRtnl.parse, the code path of IPRoute's receive loop) and reads the route
fields the other implementations read. Prints one JSON line with the cross-check sums and
the seconds of each timed pass.

usage: /usr/bin/python3 pyroute2_parse.py FILE [BUDGET_SECONDS] [MAX_PASSES]
"""
import json
import struct
import sys
import time

try:
    from pyroute2.netlink.rtnl.marshal import MarshalRtnl
except ImportError as e:
    print(json.dumps({"error": f"pyroute2 is not importable: {e}"}))
    sys.exit(0)

from route_sums import add_route, zero_sums


def version():
    try:
        from importlib.metadata import version as v
        return v("pyroute2")
    except Exception:
        return "unknown"


def read_records(path):
    with open(path, "rb") as f:
        data = f.read()
    out = []
    o = 0
    while o + 4 <= len(data):
        (n,) = struct.unpack_from("=I", data, o)
        out.append(data[o + 4:o + 4 + n])
        o += 4 + n
    return out


def one_pass(marshal, datagrams):
    s = zero_sums()
    for dg in datagrams:
        for msg in marshal.parse(dg):
            add_route(s, msg)
    return s


def main():
    path = sys.argv[1]
    budget = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
    max_passes = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    datagrams = read_records(path)
    marshal = MarshalRtnl()
    one_pass(marshal, datagrams[: max(1, len(datagrams) // 20)])  # warm-up
    times = []
    sums = None
    start = time.perf_counter()
    while len(times) < max_passes:
        t0 = time.perf_counter()
        sums = one_pass(marshal, datagrams)
        times.append(time.perf_counter() - t0)
        if time.perf_counter() - start + times[-1] > budget:
            break
    out = {"version": version(), "python": sys.version.split()[0],
           "datagrams": len(datagrams), "bytes": sum(len(d) for d in datagrams),
           "seconds": times}
    out.update(sums)
    print(json.dumps(out))


main()
