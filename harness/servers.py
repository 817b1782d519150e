"""Starting real servers on loopback for the harness: kz's own, and Apache ZooKeeper 3.8 (the
reference to diff against). Every server is a child process that the fixture stops."""
import os
import pathlib
import socket
import subprocess
import time

from conftest import KZ, ROOT

APACHE_ZK_CLASSPATH = "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout=30.0, log=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            text = pathlib.Path(log).read_text() if log else ""
            raise RuntimeError(f"server exited with {proc.returncode} before listening on {port}\n{text[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def four_letter_word(port, word, timeout=5.0):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(word.encode())
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    return out.decode()


class Server:
    def __init__(self, proc, port, data_dir, log):
        self.proc, self.port, self.data_dir, self.log = proc, port, data_dir, log

    @property
    def hosts(self):
        return f"127.0.0.1:{self.port}"

    def stop(self, kill=False):
        if self.proc.poll() is None:
            if kill:
                self.proc.kill()
            else:
                self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_kz_zookeeper(tmp, port=None, extra_cfg="", name="kz"):
    port = port or free_port()
    data = pathlib.Path(tmp) / f"{name}-data"
    data.mkdir(parents=True, exist_ok=True)
    cfg = pathlib.Path(tmp) / f"{name}-zoo.cfg"
    cfg.write_text(f"tickTime=2000\ndataDir={data}\nclientPort={port}\nclientPortAddress=127.0.0.1\n"
                   f"maxClientCnxns=0\n4lw.commands.whitelist=*\n{extra_cfg}")
    log = pathlib.Path(tmp) / f"{name}.log"
    proc = subprocess.Popen([str(KZ), "zookeeper", "--config", str(cfg), "--log-level", "info"],
                            stdout=open(log, "w"), stderr=subprocess.STDOUT, cwd=ROOT)
    wait_port(port, proc, log=log)
    return Server(proc, port, data, log)


def start_apache_zookeeper(tmp, port=None, extra_cfg="", cpus=None):
    """`cpus`: a CPU list for `taskset -c` (all of the JVM's threads), or None."""
    port = port or free_port()
    data = pathlib.Path(tmp) / "apache-data"
    data.mkdir(parents=True, exist_ok=True)
    cfg = pathlib.Path(tmp) / "apache-zoo.cfg"
    cfg.write_text(f"tickTime=2000\ndataDir={data}\nclientPort={port}\nclientPortAddress=127.0.0.1\n"
                   f"maxClientCnxns=0\nadmin.enableServer=false\n4lw.commands.whitelist=*\n{extra_cfg}")
    log = pathlib.Path(tmp) / "apache.log"
    pin = ["taskset", "-c", str(cpus)] if cpus is not None else []
    proc = subprocess.Popen([*pin, "/usr/bin/java", "-Xmx256m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                             "-Dzookeeper.admin.enableServer=false", "-cp", APACHE_ZK_CLASSPATH,
                             "org.apache.zookeeper.server.quorum.QuorumPeerMain", str(cfg)],
                            stdout=open(log, "w"), stderr=subprocess.STDOUT)
    wait_port(port, proc, timeout=60, log=log)
    return Server(proc, port, data, log)


def apache_zookeeper_available():
    return all(os.path.exists(p) for p in APACHE_ZK_CLASSPATH.split(":")) and os.path.exists("/usr/bin/java")


def start_kz_ensemble(tmp, size=3, extra_cfg=""):
    """`size` real kz ZooKeeper processes on loopback forming one ensemble."""
    client_ports = [free_port() for _ in range(size)]
    quorum_ports = [free_port() for _ in range(size)]
    election_ports = [free_port() for _ in range(size)]
    lines = "".join(f"server.{i + 1}=127.0.0.1:{quorum_ports[i]}:{election_ports[i]}\n" for i in range(size))
    servers = []
    for i in range(size):
        data = pathlib.Path(tmp) / f"ens{i + 1}-data"
        data.mkdir(parents=True, exist_ok=True)
        (data / "myid").write_text(f"{i + 1}\n")
        cfg = pathlib.Path(tmp) / f"ens{i + 1}.cfg"
        cfg.write_text(f"tickTime=200\ninitLimit=20\nsyncLimit=5\ndataDir={data}\nclientPort={client_ports[i]}\n"
                       f"clientPortAddress=127.0.0.1\nmaxClientCnxns=0\n4lw.commands.whitelist=*\n{lines}{extra_cfg}")
        log = pathlib.Path(tmp) / f"ens{i + 1}.log"
        proc = subprocess.Popen([str(KZ), "zookeeper", "--config", str(cfg)], stdout=open(log, "w"),
                                stderr=subprocess.STDOUT, cwd=ROOT)
        servers.append(Server(proc, client_ports[i], data, log))
    for s in servers:
        wait_port(s.port, s.proc, log=s.log)
    return servers


def mode_of(server):
    try:
        for line in four_letter_word(server.port, "srvr", timeout=2).splitlines():
            if line.startswith("Mode: "):
                return line[6:]
    except OSError:
        return None
    return None
