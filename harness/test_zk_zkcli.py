"""zkCli.sh from Debian's zookeeper package against a real kz ZooKeeper server."""
import os
import subprocess

import pytest

from servers import start_kz_zookeeper

ZKCLI = "/usr/share/zookeeper/bin/zkCli.sh"

pytestmark = pytest.mark.skipif(not os.path.exists(ZKCLI), reason="Debian's zookeeper package is not installed")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = start_kz_zookeeper(tmp_path_factory.mktemp("zkcli"))
    yield s
    s.stop()


def zkcli(server, *cmd):
    """One zkCli.sh invocation (a JVM start each); returns its output without the JVM noise."""
    proc = subprocess.run([ZKCLI, "-server", server.hosts, *cmd], capture_output=True, text=True, timeout=60)
    # zkCli.sh prints command results on stderr, with the JVM's warnings.
    lines = [l for l in (proc.stdout + "\n" + proc.stderr).splitlines()
             if l and not l.startswith(("Connecting to", "WATCHER::", "WatchedEvent", "log4j", "SLF4J", "WARNING"))
             and "JLine" not in l and "slf4j" not in l.lower()]
    return "\n".join(lines), proc.stderr


def test_zkcli_commands(server):
    out, _ = zkcli(server, "create", "/cli", "hello")
    assert "Created /cli" in out
    out, _ = zkcli(server, "get", "/cli")
    assert "hello" in out.splitlines()
    out, _ = zkcli(server, "set", "/cli", "world")
    out, _ = zkcli(server, "get", "-s", "/cli")
    assert "world" in out and "dataVersion = 1" in out and "numChildren = 0" in out
    out, _ = zkcli(server, "create", "-e", "-s", "/cli/e-", "x")
    assert "Created /cli/e-0000000000" in out
    out, _ = zkcli(server, "ls", "/")
    assert "[cli, zookeeper]" in out.splitlines()
    out, _ = zkcli(server, "stat", "/cli")
    assert "cversion = " in out and "dataLength = 5" in out
    out, _ = zkcli(server, "getAcl", "/cli")
    assert "'world,'anyone" in out and ": cdrwa" in out
    out, _ = zkcli(server, "addauth", "digest", "bob:pw")
    out, _ = zkcli(server, "setAcl", "/cli", "digest:bob:uoGvCpvSdQvPASIvxTYDyO3jm04=:cdrwa")
    out, _ = zkcli(server, "get", "/cli")
    assert "Insufficient permission" in out or "NoAuth" in out
    out, _ = zkcli(server, "delete", "/missing")
    assert "Node does not exist: /missing" in out
