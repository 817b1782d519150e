"""Differential: one scripted kazoo workload against Apache ZooKeeper 3.8 (Debian's package, started
here on loopback) and against kz must give the same results: values, error codes, sequence names,
watch events and stat fields other than times and zxids."""
import threading
import time

import pytest
from kazoo.client import KazooClient

from servers import apache_zookeeper_available, start_apache_zookeeper, start_kz_zookeeper

pytestmark = pytest.mark.skipif(not apache_zookeeper_available(), reason="Debian's zookeeper package is missing")


def stat_view(stat):
    return (stat.version, stat.cversion, stat.aversion, stat.dataLength, stat.numChildren, stat.ephemeralOwner != 0)


def outcome(fn):
    try:
        r = fn()
        return ("ok", r)
    except Exception as e:  # the error class is part of what must match
        return ("error", type(e).__name__)


def workload(hosts):
    zk = KazooClient(hosts=hosts, timeout=15)
    zk.start(timeout=30)
    log = []
    events = []
    lock = threading.Lock()

    def record(e):
        with lock:
            events.append((e.type, e.state, e.path))

    try:
        log.append(outcome(lambda: zk.create("/d", b"root")))
        log.append(outcome(lambda: zk.create("/d", b"again")))
        log.append(outcome(lambda: zk.create("/d/missing/x")))
        log.append(outcome(lambda: zk.create("/bad//path")))
        log.append(outcome(lambda: zk.get("/d", watch=record)[0]))
        log.append(outcome(lambda: stat_view(zk.set("/d", b"v1"))))
        log.append(outcome(lambda: stat_view(zk.set("/d", b"v2", version=0))))
        log.append(outcome(lambda: zk.get_children("/d", watch=record)))
        for i in range(3):
            log.append(outcome(lambda: zk.create("/d/s-", b"", sequence=True)))
        log.append(outcome(lambda: zk.create("/d/e", b"", ephemeral=True)))
        log.append(outcome(lambda: zk.create("/d/e/child")))
        log.append(outcome(lambda: stat_view(zk.get("/d")[1])))
        log.append(outcome(lambda: sorted(zk.get_children("/d"))))
        log.append(outcome(lambda: zk.delete("/d")))
        log.append(outcome(lambda: zk.delete("/d/s-0000000001", version=3)))
        log.append(outcome(lambda: zk.delete("/d/s-0000000001")))
        log.append(outcome(lambda: zk.exists("/nope", watch=record)))
        log.append(outcome(lambda: zk.create("/nope", b"")))
        t = zk.transaction()
        t.create("/d/t1")
        t.check("/d", 99)
        log.append(outcome(lambda: [type(r).__name__ if isinstance(r, Exception) else r for r in t.commit()]))
        t = zk.transaction()
        t.create("/d/t1")
        t.set_data("/d", b"multi")
        t.delete("/nope")
        log.append(outcome(lambda: [r if isinstance(r, str) else type(r).__name__ for r in t.commit()]))
        log.append(outcome(lambda: zk.get("/d")[0]))
        log.append(outcome(lambda: [(a.perms, a.id.scheme, a.id.id) for a in zk.get_acls("/d")[0]]))
        log.append(outcome(lambda: zk.set_acls("/d", [])))
        time.sleep(0.5)
    finally:
        zk.stop()
        zk.close()
    return log, sorted(events)


def test_kz_matches_apache_zookeeper(tmp_path):
    apache = start_apache_zookeeper(tmp_path)
    try:
        expected = workload(apache.hosts)
    finally:
        apache.stop()
    kz = start_kz_zookeeper(tmp_path)
    try:
        got = workload(kz.hosts)
    finally:
        kz.stop()
    exp_log, exp_events = expected
    got_log, got_events = got
    for i, (e, g) in enumerate(zip(exp_log, got_log)):
        assert e == g, f"step {i}: Apache ZooKeeper gave {e}, kz gave {g}"
    assert len(exp_log) == len(got_log)
    assert exp_events == got_events
