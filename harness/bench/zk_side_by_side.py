#!/usr/bin/python3
"""Side-by-side ZooKeeper benchmark: kz against Apache ZooKeeper 3.8, in one run, same client.

Usage:
    harness/bench/zk_side_by_side.py [--rounds 3] [--sync-n 2000] [--async-n 10000] [--window 64]
                                     [--setups standalone,ensemble] [--out DIR]
                                     [--kz-cpu-affinity disk|none|N] [--apache-cpus LIST]

What it does (see harness/bench/README.md and docs/performance.md):
  - starts a kz server and an Apache ZooKeeper 3.8 server (fsync on for both: forceSync=yes is the
    default of each), standalone, then 3-server ensembles (the client talks to a follower);
  - runs the official C client benchmark (zkbench.c from ../shared/peers, compiled here) against each:
    sync create/get/set/delete (one request at a time) and pipelined ones with --window outstanding;
  - kz runs with kz.cpuAffinity=disk unless --kz-cpu-affinity says otherwise: pinned to the CPU that
    takes the disk's completion interrupts, as a server with its machine to itself (docs/zookeeper.md);
    --apache-cpus pins Apache's JVMs with taskset for a like-for-like comparison;
  - one warm-up round per server (discarded: the JVM needs it), then --rounds rounds interleaved
    kz, Apache, kz, Apache, ...; prints medians, kz/Apache ratios and whether each target is met;
  - before each round, the disk's floor for a durable write (1,000 x 128-byte pwrite + fdatasync
    into a preallocated file on the servers' filesystem), and each sync write p99 over that floor:
    no server answers a sync write faster than the disk makes it durable;
  - in each round, the sync and pipelined phases against zkfloor too (harness/bench/zkfloor.c,
    compiled here): a server that does nothing for a write but pwrite + fdatasync + answer (for the
    ensemble setup, a three-process quorum that only forwards, proposes, logs, syncs, acks and
    commits), on kz's CPU. Its latency is this machine's round-trip floor for the same client, and
    its pipelined rate the client's ceiling (on 2 cores the C client's own threads use more than a
    core), so the report gives, next to each target, the ratio that floor got against Apache in the
    same run: a ratio no server is likely to beat (indicative only: a p99 of 2,000 samples moves
    +-30% between rounds).

Optional side-by-side tooling: this script needs ../shared/peers/zkbench.c (or $ZK_PEERS_DIR),
libzookeeper-mt-dev, gcc, java and the Debian `zookeeper` package. It says what is missing and exits 2.
Nothing in the test suite depends on it.
"""
import argparse
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from conftest import KZ, ROOT  # noqa: E402
import servers  # noqa: E402

OPS = ["create", "get", "set", "delete"]
PEERS = pathlib.Path(os.environ.get("ZK_PEERS_DIR", ROOT.parent / "shared" / "peers"))


def die(msg):
    print(f"zk_side_by_side: {msg}", file=sys.stderr)
    sys.exit(2)


def build_client(out):
    src = PEERS / "zkbench.c"
    if not src.exists():
        die(f"{src} is missing: this benchmark needs the peers tooling (set ZK_PEERS_DIR to its folder)")
    if not pathlib.Path("/usr/include/zookeeper/zookeeper.h").exists():
        die("the ZooKeeper C client headers are missing: apt-get install libzookeeper-mt-dev")
    return compile_c(src, out / "zkbench", ["-DTHREADED"], ["-lzookeeper_mt", "-lpthread", "-lm"])


def compile_c(src, exe, flags=(), libs=()):
    r = subprocess.run(["gcc", "-O2", *flags, "-o", str(exe), str(src), *libs], capture_output=True, text=True)
    if r.returncode != 0:
        die(f"compiling {src} failed:\n{r.stderr}")
    return exe


class FloorServer:
    """zkfloor on a free loopback port, its log in `folder`, pinned to `cpu` (an int) or not; with
    `ensemble`, its three-process quorum (the client on a follower)."""

    def __init__(self, exe, folder, cpu, ensemble):
        self.port = servers.free_port()
        self.hosts = f"127.0.0.1:{self.port}"
        self.log = pathlib.Path(folder) / "zkfloor.log"
        args = [str(exe), "--port", str(self.port), "--log", str(pathlib.Path(folder) / "zkfloor.dat")]
        if cpu is not None:
            args += ["--cpu", str(cpu)]
        if ensemble:
            args.append("--ensemble")
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=open(self.log, "w"))
        servers.wait_port(self.port, self.proc, timeout=30, log=self.log)

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def run_client(exe, hosts, args, timeout=300, warm_up=False):
    """One zkbench run. An operation error fails a measured run; in the warm-up (discarded: a fresh
    ensemble may still be settling, e.g. a JVM follower finishing its sync) it is only reported."""
    r = subprocess.run([str(exe), "-s", hosts, "-t", str(timeout), *args], capture_output=True, text=True,
                       timeout=timeout + 30)
    if r.returncode != 0:
        raise RuntimeError(f"zkbench {' '.join(args)} against {hosts} exited {r.returncode}: {r.stderr[-2000:]}")
    res = json.loads(r.stdout)
    for k, v in res.items():
        if isinstance(v, dict) and v.get("errors"):
            if warm_up:
                print(f"warm-up: zkbench {k} against {hosts}: {v['errors']} errors (warm-up is discarded)",
                      file=sys.stderr, flush=True)
                continue
            raise RuntimeError(f"zkbench {k} against {hosts}: {v['errors']} errors")
    return res


def phase(exe, hosts, args):
    """One zkbench run: {phase_op: {ops_s, p50_us, p99_us, ...}}, without the run's header fields."""
    return {k: v for k, v in run_client(exe, hosts, args).items() if isinstance(v, dict)}


def sync_phase(exe, hosts, a):
    return phase(exe, hosts, ["-n", str(a.sync_n), "-m", "sync"])


def one_round(exe, hosts, a):
    """One round: the sync phase then the pipelined phase; {phase_op: {ops_s, p50_us, p99_us}}."""
    return {**sync_phase(exe, hosts, a),
            **phase(exe, hosts, ["-n", str(a.async_n), "-w", str(a.window), "-m", "async"])}


def fsync_floor(folder, n=1000):
    """The disk's floor for a durable write, measured in the same minutes as the rounds: n x (128-byte
    pwrite into a preallocated, synced file + fdatasync) on the servers' filesystem, one at a time,
    like a txn log's lone sync write. {p50_us, p99_us}."""
    path = pathlib.Path(folder) / "fsync-floor.dat"
    fd = os.open(path, os.O_CREAT | os.O_RDWR | os.O_TRUNC, 0o644)
    try:
        os.write(fd, b"\0" * (n * 128 + 4096))
        os.fsync(fd)
        lat, buf = [], b"x" * 128
        for i in range(n):
            t = time.perf_counter_ns()
            os.pwrite(fd, buf, i * 128)
            os.fdatasync(fd)
            lat.append((time.perf_counter_ns() - t) / 1000)
    finally:
        os.close(fd)
        path.unlink(missing_ok=True)
    lat.sort()
    return {"p50_us": round(lat[n // 2]), "p99_us": round(lat[int(n * 0.99)])}


# ------------------------------------------------------------------ servers

def apache_ensemble(tmp, cpus=None):
    """Three Apache ZooKeeper 3.8 servers on loopback forming one ensemble (forceSync=yes); `cpus`:
    a CPU list for `taskset -c`, or None."""
    cports = [servers.free_port() for _ in range(3)]
    qports = [servers.free_port() for _ in range(3)]
    eports = [servers.free_port() for _ in range(3)]
    lines = "".join(f"server.{i + 1}=127.0.0.1:{qports[i]}:{eports[i]}\n" for i in range(3))
    out = []
    for i in range(3):
        data = pathlib.Path(tmp) / f"apache-ens{i + 1}-data"
        data.mkdir(parents=True, exist_ok=True)
        (data / "myid").write_text(f"{i + 1}\n")
        cfg = pathlib.Path(tmp) / f"apache-ens{i + 1}.cfg"
        cfg.write_text(f"tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir={data}\nclientPort={cports[i]}\n"
                       f"clientPortAddress=127.0.0.1\nmaxClientCnxns=0\nadmin.enableServer=false\n"
                       f"4lw.commands.whitelist=*\nforceSync=yes\n{lines}")
        log = pathlib.Path(tmp) / f"apache-ens{i + 1}.log"
        pin = ["taskset", "-c", str(cpus)] if cpus is not None else []
        proc = subprocess.Popen([*pin, "/usr/bin/java", "-Xmx256m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                                 "-Dzookeeper.admin.enableServer=false", "-cp", servers.APACHE_ZK_CLASSPATH,
                                 "org.apache.zookeeper.server.quorum.QuorumPeerMain", str(cfg)],
                                stdout=open(log, "w"), stderr=subprocess.STDOUT)
        out.append(servers.Server(proc, cports[i], data, log))
    for s in out:
        servers.wait_port(s.port, s.proc, timeout=60, log=s.log)
    return out


def follower_of(ens, what, timeout=60):
    """The first follower once the ensemble has a leader and every member serves."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        modes = [servers.mode_of(s) for s in ens]
        if modes.count("leader") == 1 and modes.count("follower") == len(ens) - 1:
            return ens[modes.index("follower")]
        time.sleep(0.2)
    raise RuntimeError(f"{what}: no leader with {len(ens) - 1} followers after {timeout}s (modes {modes})")


def pinned_cpu(server):
    """What kz's log says of its CPU affinity (kz.cpuAffinity): 'CPU n', 'not pinned' or 'none'."""
    for line in server.log.read_text(errors="replace").splitlines():
        if " cpu: pinned to CPU " in line:
            return "CPU " + line.split(" cpu: pinned to CPU ", 1)[1].split(":")[0]
        if " cpu: cpu affinity" in line and "not pinned" in line:
            return "not pinned (" + line.split("not pinned: ", 1)[-1] + ")"
    return "none"


def start_setup(setup, tmp, kz_affinity, apache_cpus):
    """(kz servers, kz client target, apache servers, apache client target)."""
    kz_cfg = f"kz.cpuAffinity={kz_affinity}\n"
    if setup == "standalone":
        k = servers.start_kz_zookeeper(tmp, extra_cfg="forceSync=yes\n" + kz_cfg)
        a = servers.start_apache_zookeeper(tmp, extra_cfg="forceSync=yes\n", cpus=apache_cpus)
        return [k], k, [a], a
    kz_ens = servers.start_kz_ensemble(tmp, extra_cfg=kz_cfg)
    ap_ens = apache_ensemble(tmp, apache_cpus)
    return kz_ens, follower_of(kz_ens, "kz ensemble"), ap_ens, follower_of(ap_ens, "Apache ensemble")


# ------------------------------------------------------------------ report

TARGETS = [  # (label, key, field, comparison, bound)
    ("pipelined create throughput >= 2x", "async_create", "ops_s", ">=", 2.0),
    ("pipelined set throughput >= 2x", "async_set", "ops_s", ">=", 2.0),
    ("pipelined delete throughput >= 2x", "async_delete", "ops_s", ">=", 2.0),
    ("sync create p99 <= 0.5x", "sync_create", "p99_us", "<=", 0.5),
    ("sync set p99 <= 0.5x", "sync_set", "p99_us", "<=", 0.5),
    ("sync delete p99 <= 0.5x", "sync_delete", "p99_us", "<=", 0.5),
    ("sync get throughput >= 1.5x", "sync_get", "ops_s", ">=", 1.5),
]


def medians(rounds):
    keys = list(rounds[0].keys())
    return {k: {f: statistics.median(r[k][f] for r in rounds) for f in ("ops_s", "p50_us", "p99_us")} for k in keys}


def report(setup, kz_rounds, ap_rounds, load, floors, fl_rounds):
    km, am = medians(kz_rounds), medians(ap_rounds)
    lines = [f"### {setup} ({len(kz_rounds)} rounds each, interleaved; load avg before: {load})", "",
             "| op | kz ops/s | Apache ops/s | ratio | kz p50 us | Apache p50 us | kz p99 us | Apache p99 us | p99 ratio |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for k in km:
        kv, av = km[k], am[k]
        lines.append(f"| {k} | {kv['ops_s']:.0f} | {av['ops_s']:.0f} | {kv['ops_s'] / av['ops_s']:.2f} | "
                     f"{kv['p50_us']:.0f} | {av['p50_us']:.0f} | {kv['p99_us']:.0f} | {av['p99_us']:.0f} | "
                     f"{kv['p99_us'] / av['p99_us']:.2f} |")
    # What zkfloor (pwrite + fdatasync + answer, nothing else, on kz's CPU) got against Apache: a p99
    # ratio no server is likely to beat in this run, and a throughput ratio bounded by the client
    # (on 2 cores the C client's pipelined rate tops out whatever the server does).
    zm = medians(fl_rounds)
    best = {k: zm[k]["p99_us"] / am[k]["p99_us"] for k in zm if k.startswith("sync_")}
    best_ops = {k: zm[k]["ops_s"] / am[k]["ops_s"] for k in zm}
    lines += ["", "| target (kz vs Apache) | ratio | met | what zkfloor (a do-nothing server) got in this run |", "|---|---:|---|---|"]
    verdicts = {}
    for label, key, field, cmp, bound in TARGETS:
        ratio = km[key][field] / am[key][field]
        ok = ratio >= bound if cmp == ">=" else ratio <= bound
        verdicts[label] = {"ratio": round(ratio, 3), "met": ok}
        if field == "p99_us":
            verdicts[label]["best_reachable"] = round(best[key], 3)
            reach = f"{best[key]:.2f} ({'would meet' if best[key] <= bound else 'would miss'} the target)"
        else:
            verdicts[label]["best_reachable"] = round(best_ops[key], 3)
            reach = f"{best_ops[key]:.2f} ({'would meet' if best_ops[key] >= bound else 'would miss'} the target)"
        lines.append(f"| {label} | {ratio:.2f} | {'yes' if ok else 'NO'} | {reach} |")
    lines.append("")
    # The floor: neither server can answer a sync write before one fsync of it (a quorum's, for an
    # ensemble). A p99 ratio <= 0.5 needs Apache's p99 to be >= 2x kz's, so when Apache's own p99
    # is within 2x of the floor the target cannot be met by any server on this disk at that time.
    fl = {f: statistics.median(x[f] for x in floors) for f in ("p50_us", "p99_us")}
    lines.append(f"disk floor, measured between rounds (128-byte pwrite + fdatasync into a preallocated file, "
                 f"same filesystem, one at a time): p50 {fl['p50_us']:.0f} us, p99 {fl['p99_us']:.0f} us; "
                 f"per round p99 {', '.join(str(x['p99_us']) for x in floors)} us.")
    lines.append("")
    lines += ["| sync write | kz p99 / floor p99 | Apache p99 / floor p99 |", "|---|---:|---:|"]
    for k in ("sync_create", "sync_set", "sync_delete"):
        lines.append(f"| {k} | {km[k]['p99_us'] / fl['p99_us']:.2f} | {am[k]['p99_us'] / fl['p99_us']:.2f} |")
    lines.append("")
    what = ("pwrite + fdatasync + answer, no data tree" if setup == "standalone" else
            "--ensemble: 3 processes that forward, propose, log + fdatasync, ack and commit on 2 of 3, no data tree")
    lines += [f"round-trip floor: the same client against zkfloor (harness/bench/zkfloor.c, {what}), on kz's CPU, "
              "one sync and one pipelined phase per round:", "",
              "| sync op | zkfloor p50 us | zkfloor p99 us | kz p50 / zkfloor p50 | kz p99 / zkfloor p99 | "
              "best reachable p99 ratio (zkfloor / Apache) |", "|---|---:|---:|---:|---:|---:|"]
    for k in ("sync_create", "sync_set", "sync_delete", "sync_get"):
        z = zm[k]
        lines.append(f"| {k} | {z['p50_us']:.0f} | {z['p99_us']:.0f} | {km[k]['p50_us'] / z['p50_us']:.2f} | "
                     f"{km[k]['p99_us'] / z['p99_us']:.2f} | {best[k]:.2f} |")
    lines += ["", "| pipelined op | zkfloor ops/s | kz ops/s / zkfloor ops/s | best reachable ratio (zkfloor / Apache) |",
              "|---|---:|---:|---:|"]
    for k in ("async_create", "async_get", "async_set", "async_delete"):
        if k in zm:
            lines.append(f"| {k} | {zm[k]['ops_s']:.0f} | {km[k]['ops_s'] / zm[k]['ops_s']:.2f} | {best_ops[k]:.2f} |")
    lines.append("")
    per_round = ["ops/s per round (kz | Apache):"]
    for k in km:
        per_round.append(f"- {k}: {', '.join(str(r[k]['ops_s']) for r in kz_rounds)} | "
                         f"{', '.join(str(r[k]['ops_s']) for r in ap_rounds)}")
    lines += per_round + [""]
    return "\n".join(lines), {"kz": km, "apache": am, "targets": verdicts, "fsync_floor": fl, "fsync_floor_rounds": floors,
                               "zkfloor": zm, "best_reachable_p99_ratio": {k: round(v, 3) for k, v in best.items()},
                               "best_reachable_ops_ratio": {k: round(v, 3) for k, v in best_ops.items()}}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--sync-n", type=int, default=2000, help="ops per sync phase (default 2000)")
    p.add_argument("--async-n", type=int, default=10000, help="ops per pipelined phase (default 10000)")
    p.add_argument("--window", type=int, default=64, help="outstanding requests when pipelined (default 64)")
    p.add_argument("--setups", default="standalone,ensemble")
    p.add_argument("--kz-cpu-affinity", default="disk",
                   help="kz.cpuAffinity for the kz servers: disk (default: the CPU that takes the disk's "
                        "completion interrupts, as for a server with its machine to itself), none, or a CPU")
    p.add_argument("--apache-cpus", default=None,
                   help="run Apache's JVMs under `taskset -c APACHE_CPUS` (e.g. the disk's interrupt CPU, "
                        "to compare with kz pinned there too); default: not pinned")
    p.add_argument("--out", default=None, help="folder for zkbench JSON and results (default: a temp dir)")
    a = p.parse_args()
    if a.rounds < 1:
        die("--rounds must be >= 1")
    if not KZ.exists():
        die(f"{KZ} is not built: ninja -C build kz")
    if not servers.apache_zookeeper_available():
        die("Apache ZooKeeper is not installed: apt-get install zookeeper default-jre-headless")
    out = pathlib.Path(a.out or tempfile.mkdtemp(prefix="zk-side-by-side-"))
    out.mkdir(parents=True, exist_ok=True)
    exe = build_client(out)
    floor_exe = compile_c(HERE / "zkfloor.c", out / "zkfloor")
    text, summary = [], {}
    for setup in a.setups.split(","):
        if setup not in ("standalone", "ensemble"):
            die(f"unknown setup {setup!r} (standalone, ensemble)")
        tmp = tempfile.mkdtemp(prefix=f"zkbench-{setup}-", dir="/tmp")
        started = []
        try:
            kz_all, kz_t, ap_all, ap_t = start_setup(setup, tmp, a.kz_cpu_affinity, a.apache_cpus)
            started = kz_all + ap_all
            time.sleep(0.2)
            kz_pins = [pinned_cpu(s) for s in kz_all]
            pins = ", ".join(kz_pins)
            floor_cpu = int(kz_pins[0].split()[1]) if kz_pins[0].startswith("CPU ") else None
            floor = FloorServer(floor_exe, tmp, floor_cpu, setup == "ensemble")
            started.append(floor)
            print(f"[{setup}] kz.cpuAffinity={a.kz_cpu_affinity}: {pins}", file=sys.stderr, flush=True)
            summary.setdefault("kz_cpu_affinity", {})[setup] = {"setting": a.kz_cpu_affinity, "servers": pins}
            print(f"[{setup}] kz at {kz_t.hosts}, Apache at {ap_t.hosts}; warm-up", file=sys.stderr, flush=True)
            run_client(exe, kz_t.hosts, ["-n", "2000"], warm_up=True)
            run_client(exe, ap_t.hosts, ["-n", "2000"], warm_up=True)
            load = os.getloadavg()[0]
            kz_rounds, ap_rounds, floors, fl_rounds = [], [], [], []
            for i in range(a.rounds):
                floors.append(fsync_floor(tmp))
                print(f"[{setup}] round {i + 1} disk floor: fdatasync p50 {floors[-1]['p50_us']} us, "
                      f"p99 {floors[-1]['p99_us']} us", file=sys.stderr, flush=True)
                for name, target, acc in (("kz", kz_t, kz_rounds), ("apache", ap_t, ap_rounds)):
                    r = one_round(exe, target.hosts, a)
                    acc.append(r)
                    (out / f"{setup}-{name}-{i + 1}.json").write_text(json.dumps(r, indent=1))
                    print(f"[{setup}] round {i + 1} {name}: " +
                          ", ".join(f"{k} {v['ops_s']}/s" for k, v in r.items()), file=sys.stderr, flush=True)
                r = one_round(exe, floor.hosts, a)
                fl_rounds.append(r)
                (out / f"{setup}-zkfloor-{i + 1}.json").write_text(json.dumps(r, indent=1))
                print(f"[{setup}] round {i + 1} zkfloor: " +
                      ", ".join(f"{k} p50 {v['p50_us']} p99 {v['p99_us']} us" if k.startswith("sync_")
                                else f"{k} {v['ops_s']}/s" for k, v in r.items()),
                      file=sys.stderr, flush=True)
            t, s = report(setup, kz_rounds, ap_rounds, f"{load:.2f}", floors, fl_rounds)
            text.append(t)
            summary[setup] = s
        finally:
            for s in started:
                s.stop()
            shutil.rmtree(tmp, ignore_errors=True)
    pins = "; ".join(f"{k}: {v['servers']}" for k, v in summary.get("kz_cpu_affinity", {}).items())
    header = (f"kz vs Apache ZooKeeper 3.8, C client (zkbench.c), sync n={a.sync_n}, pipelined n={a.async_n} "
              f"window={a.window}, 100-byte data, fsync on; kz.cpuAffinity={a.kz_cpu_affinity} "
              f"{'' if a.apache_cpus is None else f'Apache taskset -c {a.apache_cpus} '}"
              f"({pins}); "
              f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores\n")
    result = header + "\n" + "\n".join(text)
    (out / "results.md").write_text(result)
    (out / "results.json").write_text(json.dumps(summary, indent=1))
    print(result)
    print(f"results in {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
