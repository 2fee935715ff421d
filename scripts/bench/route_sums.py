"""The cross-check sums of both benchmarks (scripts/bench/sums.ts), for pyroute2's messages.

Every implementation reads the same fields of the same routes; equal sums show that each
decoded what the others did. Imported by pyroute2_parse.py and socket/pyroute2_socket.py.
"""

RTM_NEWROUTE = 24


def zero_sums():
    return {"routes": 0, "dst": 0, "gateway": 0, "prefsrc": 0, "oif": 0, "table": 0, "priority": 0}


def add_route(s, msg):
    """Adds one pyroute2 rtmsg when it is an RTM_NEWROUTE (RTA_TABLE, else rtm_table)."""
    if msg["header"]["type"] != RTM_NEWROUTE:
        return
    s["routes"] += 1
    if msg.get_attr("RTA_DST") is not None:
        s["dst"] += 1
    if msg.get_attr("RTA_GATEWAY") is not None:
        s["gateway"] += 1
    if msg.get_attr("RTA_PREFSRC") is not None:
        s["prefsrc"] += 1
    s["oif"] += msg.get_attr("RTA_OIF") or 0
    table = msg.get_attr("RTA_TABLE")
    s["table"] += msg["table"] if table is None else table
    s["priority"] += msg.get_attr("RTA_PRIORITY") or 0
