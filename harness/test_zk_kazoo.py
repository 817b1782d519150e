"""kazoo (Debian's python3-kazoo) against a real kz ZooKeeper server process on loopback."""
import pathlib
import socket
import struct
import subprocess
import threading
import time

import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import (BadVersionError, NoAuthError, NodeExistsError, NoNodeError, NotEmptyError,
                              RolledBackError)
from kazoo.security import make_digest_acl

from conftest import KZ
from servers import four_letter_word, start_kz_zookeeper


@pytest.fixture
def zk_server(tmp_path):
    server = start_kz_zookeeper(tmp_path)
    yield server
    server.stop()
    assert server.proc.returncode in (0, 1, -15), server.log.read_text()[-2000:]


def client(server, **kw):
    c = KazooClient(hosts=server.hosts, timeout=10, **kw)
    c.start(timeout=15)
    return c


@pytest.fixture
def zk(zk_server):
    c = client(zk_server)
    yield c
    c.stop()
    c.close()


def wait_for(predicate, timeout=15.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_crud_and_stat(zk):
    assert zk.create("/a", b"hello") == "/a"
    data, stat = zk.get("/a")
    assert data == b"hello"
    assert (stat.version, stat.cversion, stat.dataLength, stat.numChildren) == (0, 0, 5, 0)
    assert stat.czxid == stat.mzxid and stat.czxid > 0 and stat.ephemeralOwner == 0
    stat2 = zk.set("/a", b"world!")
    assert stat2.version == 1 and stat2.dataLength == 6 and stat2.mzxid > stat.mzxid
    with pytest.raises(BadVersionError):
        zk.set("/a", b"x", version=0)
    zk.create("/a/b", b"")
    assert zk.get_children("/a") == ["b"]
    _, parent = zk.get("/a")
    assert parent.numChildren == 1 and parent.cversion == 1 and parent.pzxid > stat.czxid
    with pytest.raises(NotEmptyError):
        zk.delete("/a")
    with pytest.raises(NoNodeError):
        zk.get("/missing")
    with pytest.raises(NoNodeError):
        zk.create("/missing/child")
    with pytest.raises(NodeExistsError):
        zk.create("/a")
    zk.delete("/a", recursive=True)
    assert zk.exists("/a") is None
    assert zk.create("/deep/er/path", b"x", makepath=True) == "/deep/er/path"
    assert sorted(zk.get_children("/")) == ["deep", "zookeeper"]


def test_sequence_nodes(zk):
    paths = [zk.create("/q/item-", b"", sequence=True, makepath=True) for _ in range(3)]
    assert paths == ["/q/item-0000000000", "/q/item-0000000001", "/q/item-0000000002"]
    zk.delete(paths[1])
    # The suffix comes from the parent's cversion, which only creates bump (ZooKeeper 3.8).
    assert zk.create("/q/item-", sequence=True) == "/q/item-0000000003"


def test_ephemeral_gone_when_session_closes(zk_server, zk):
    other = client(zk_server)
    other.create("/eph", b"", ephemeral=True)
    _, stat = zk.get("/eph")
    assert stat.ephemeralOwner == other.client_id[0]
    other.stop()
    other.close()
    assert wait_for(lambda: zk.exists("/eph") is None)


def raw_session(port, timeout_ms=4000):
    """A bare client: connect, open a session, return the socket (no kazoo, so it can vanish)."""
    s = socket.create_connection(("127.0.0.1", port))
    body = struct.pack(">iqiq", 0, 0, timeout_ms, 0) + struct.pack(">i", 16) + b"\0" * 16 + b"\0"
    s.sendall(struct.pack(">i", len(body)) + body)
    length = struct.unpack(">i", s.recv(4))[0]
    resp = b""
    while len(resp) < length:
        resp += s.recv(length - len(resp))
    _, negotiated, session_id = struct.unpack(">iiq", resp[:16])
    return s, session_id, negotiated


def raw_create_ephemeral(s, path):
    acl = struct.pack(">i", 1) + struct.pack(">i", 31) + struct.pack(">i", 5) + b"world" + struct.pack(">i", 6) + b"anyone"
    body = struct.pack(">ii", 1, 1) + struct.pack(">i", len(path)) + path.encode() + struct.pack(">i", 0) + acl + \
        struct.pack(">i", 1)
    s.sendall(struct.pack(">i", len(body)) + body)
    length = struct.unpack(">i", s.recv(4))[0]
    resp = b""
    while len(resp) < length:
        resp += s.recv(length - len(resp))
    xid, zxid, err = struct.unpack(">iqi", resp[:16])
    assert (xid, err) == (1, 0)


def test_session_expiry_removes_ephemerals(zk_server, zk):
    s, session_id, negotiated = raw_session(zk_server.port, timeout_ms=1000)
    assert negotiated == 4000  # clamped to minSessionTimeout = 2 * tickTime
    raw_create_ephemeral(s, "/expiring")
    _, stat = zk.get("/expiring")
    assert stat.ephemeralOwner == session_id
    s.close()  # no closeSession: the session must expire on its own
    time.sleep(2)
    assert zk.exists("/expiring") is not None, "expired before its timeout"
    assert wait_for(lambda: zk.exists("/expiring") is None, timeout=10)


def test_watches_one_shot_and_recipes_watchers(zk):
    zk.create("/w", b"0")
    data_events, child_events = [], []
    zk.DataWatch("/w", lambda data, stat: data_events.append(data))
    zk.ChildrenWatch("/w", lambda children: child_events.append(sorted(children)))
    zk.set("/w", b"1")
    zk.create("/w/c1")
    zk.create("/w/c2")
    zk.set("/w", b"2")
    assert wait_for(lambda: data_events[-1:] == [b"2"])
    assert wait_for(lambda: child_events[-1:] == [["c1", "c2"]])
    assert data_events[0] == b"0"
    fired = threading.Event()
    seen = []

    def once(event):
        seen.append((event.type, event.path))
        fired.set()

    zk.exists("/later", watch=once)
    zk.create("/later")
    assert fired.wait(10)
    assert seen == [("CREATED", "/later")]
    zk.set("/later", b"x")  # one-shot: no second event
    time.sleep(0.3)
    assert len(seen) == 1


def read_frame(s):
    header = b""
    while len(header) < 4:
        header += s.recv(4 - len(header))
    length = struct.unpack(">i", header)[0]
    body = b""
    while len(body) < length:
        body += s.recv(length - len(body))
    return body


def raw_get_data(s, xid, path, watch):
    body = struct.pack(">ii", xid, 4) + struct.pack(">i", len(path)) + path.encode() + (b"\1" if watch else b"\0")
    s.sendall(struct.pack(">i", len(body)) + body)


def test_watch_event_before_new_data(zk_server, zk):
    # Read on the wire (kazoo runs watch callbacks on another thread, so only the socket order is
    # exact): after another client's setData, the notification must precede the reply of a later
    # getData that sees the new data.
    zk.create("/order", b"a")
    s, _, _ = raw_session(zk_server.port)
    raw_get_data(s, 1, "/order", watch=True)
    assert struct.unpack(">iqi", read_frame(s)[:16])[0] == 1
    zk.set("/order", b"b")
    raw_get_data(s, 2, "/order", watch=False)
    first = struct.unpack(">iqi", read_frame(s)[:16])
    second_frame = read_frame(s)
    second = struct.unpack(">iqi", second_frame[:16])
    assert first[0] == -1, "the watch event must come first"
    assert second[0] == 2 and second_frame[16:20] == struct.pack(">i", 1) and second_frame[20:21] == b"b"
    s.close()


def test_transactions(zk):
    t = zk.transaction()
    t.create("/t1", b"one")
    t.create("/t2", b"two")
    assert t.commit() == ["/t1", "/t2"]
    t = zk.transaction()
    t.create("/t3")
    t.check("/t1", 7)
    t.set_data("/t2", b"never")
    results = t.commit()
    assert isinstance(results[0], RolledBackError)
    assert isinstance(results[1], BadVersionError)
    assert zk.exists("/t3") is None
    assert zk.get("/t2")[0] == b"two"


def test_acl_digest_auth(zk_server):
    owner = client(zk_server, auth_data=[("digest", "alice:secret")])
    owner.create("/private", b"s3cret", acl=[make_digest_acl("alice", "secret", all=True)])
    acls, _ = owner.get_acls("/private")
    assert acls[0].id.scheme == "digest" and acls[0].id.id.startswith("alice:")
    stranger = client(zk_server)
    with pytest.raises(NoAuthError):
        stranger.get("/private")
    stranger.add_auth("digest", "alice:secret")
    assert stranger.get("/private")[0] == b"s3cret"
    for c in (owner, stranger):
        c.stop()
        c.close()


def test_recipes(zk_server, zk):
    lock = zk.Lock("/lock", "me")
    with lock:
        assert zk.get_children("/lock")
    counter = zk.Counter("/counter")
    counter += 5
    counter -= 2
    assert counter.value == 3
    queue = zk.Queue("/queue")
    for item in (b"a", b"b", b"c"):
        queue.put(item)
    assert [queue.get(), queue.get(), queue.get()] == [b"a", b"b", b"c"]
    barrier = zk.Barrier("/barrier")
    barrier.create()
    released = threading.Event()
    threading.Thread(target=lambda: (barrier.wait(10), released.set()), daemon=True).start()
    time.sleep(0.2)
    assert not released.is_set()
    barrier.remove()
    assert released.wait(10)
    party = zk.Party("/party", "p1")
    party.join()
    assert list(party) == ["p1"]
    party.leave()
    elected = threading.Event()
    election = zk.Election("/election", "me")
    threading.Thread(target=lambda: election.run(elected.set), daemon=True).start()
    assert elected.wait(10)


def test_four_letter_words(zk_server, zk):
    assert four_letter_word(zk_server.port, "ruok") == "imok"
    srvr = four_letter_word(zk_server.port, "srvr")
    assert "Mode: standalone" in srvr and "Zookeeper version: 3.8" in srvr
    assert "zk_znode_count" in four_letter_word(zk_server.port, "mntr")
    assert f"clientPort={zk_server.port}" in four_letter_word(zk_server.port, "conf")
    assert "Environment:" in four_letter_word(zk_server.port, "envi")
    assert "Clients:" in four_letter_word(zk_server.port, "stat")
    assert "sid=0x" in four_letter_word(zk_server.port, "cons")


def test_four_letter_word_whitelist(tmp_path):
    server = start_kz_zookeeper(tmp_path, extra_cfg="4lw.commands.whitelist=ruok\n", name="wl")
    try:
        assert four_letter_word(server.port, "ruok") == "imok"
        assert "not in the whitelist" in four_letter_word(server.port, "srvr")
    finally:
        server.stop()


def test_malformed_input_closes_only_that_connection(zk_server, zk):
    for junk in (b"\x7f\xff\xff\xff", b"\x00\x00\x00\x05abc", b"\x00\x00\x00\x10" + b"\xff" * 16, b"GET / HTTP/1.1\r\n\r\n"):
        with socket.create_connection(("127.0.0.1", zk_server.port), timeout=5) as s:
            s.sendall(junk)
            s.shutdown(socket.SHUT_WR)
            try:
                while s.recv(4096):
                    pass
            except OSError:
                pass
    assert zk_server.proc.poll() is None
    zk.create("/still-alive", b"yes")
    assert zk.get("/still-alive")[0] == b"yes"


def test_data_survives_restart(tmp_path):
    server = start_kz_zookeeper(tmp_path, name="restart")
    c = client(server)
    for i in range(50):
        c.create(f"/persist-{i:02d}", str(i).encode())
    c.stop()
    c.close()
    server.stop()
    server = start_kz_zookeeper(tmp_path, port=server.port, name="restart")
    try:
        c = client(server)
        assert sorted(x for x in c.get_children("/") if x.startswith("persist-")) == [f"persist-{i:02d}" for i in range(50)]
        assert c.get("/persist-42")[0] == b"42"
        c.stop()
        c.close()
    finally:
        server.stop()


def _allowed_cpus(pid):
    """Cpus_allowed_list of every thread of `pid` (the scheduler and its fsync helpers)."""
    out = {}
    for task in pathlib.Path(f"/proc/{pid}/task").iterdir():
        for line in (task / "status").read_text().splitlines():
            if line.startswith("Cpus_allowed_list:"):
                out[task.name] = line.split(":", 1)[1].strip()
    return out


def test_cpu_affinity(tmp_path):
    # A CPU number pins the scheduler thread and the helper threads it starts later.
    server = start_kz_zookeeper(tmp_path, extra_cfg="kz.cpuAffinity=0\n", name="pin0")
    try:
        c = client(server)
        for i in range(20):
            c.create(f"/pinned-{i}", b"x")  # sync writes: the fsync helpers exist by now
        assert c.get("/pinned-19")[0] == b"x"
        assert "pinned to CPU 0" in server.log.read_text()
        cpus = _allowed_cpus(server.proc.pid)
        assert cpus and set(cpus.values()) == {"0"}, cpus
        c.stop()
        c.close()
    finally:
        server.stop()
    # disk: pinned to the CPU of the disk's interrupts, or a warning saying why not; it serves either way.
    server = start_kz_zookeeper(tmp_path, extra_cfg="kz.cpuAffinity=disk\n", name="pindisk")
    try:
        c = client(server)
        c.create("/disk", b"y")
        log = server.log.read_text()
        assert ("it takes the completion interrupts of" in log) or ("cpu affinity disk: not pinned:" in log), log
        c.stop()
        c.close()
    finally:
        server.stop()
    # A bad value is an error naming the key; a bad --cpu-affinity names the option.
    cfg = tmp_path / "bad.cfg"
    cfg.write_text(f"dataDir={tmp_path / 'bad-data'}\nclientPort=2999\nkz.cpuAffinity=fast\n")
    r = subprocess.run([str(KZ), "zookeeper", "--config", str(cfg)], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "kz.cpuAffinity: expected none, disk or a CPU number" in r.stderr, r.stderr
    r = subprocess.run([str(KZ), "zookeeper", "--data-dir", str(tmp_path / "bad2"), "--cpu-affinity", "cpu3"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "--cpu-affinity: expected none, disk or a CPU number" in r.stderr, r.stderr
