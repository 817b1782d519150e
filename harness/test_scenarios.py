"""Every scenario in scenarios/ over a range of seeds, with its expected verdict; the known-unsafe
configurations must be caught, their failures replayed from the run directory and shrunk to a
handful of faults."""
import json
import pathlib

import pytest

from conftest import ROOT, run_kz

SEEDS = "1..200"
# Scenarios that are unsafe on purpose: the testbed must find their violation.
EXPECTED_TO_FAIL = {"zk-unsafe-forcesync-no.toml": "no-lost-writes",
                    "zk-unsafe-ensemble-forcesync-no.toml": "no-lost-writes"}
SCENARIOS = sorted(p.name for p in (ROOT / "scenarios").glob("*.toml"))
# Benchmark scenarios (busy, fault-free): a few seeds show they pass; 200 would cost minutes of CI.
FEW_SEEDS = {"zk-sim-speed.toml"}


@pytest.mark.parametrize("name", [n for n in SCENARIOS if n not in EXPECTED_TO_FAIL])
def test_scenario_passes_every_seed(kz_bin, tmp_path, name):
    seeds = SEEDS if name.startswith("zk-") and name not in FEW_SEEDS else "1..20"
    code, _, stderr, s = run_kz("sim", "explore", ROOT / "scenarios" / name, "--seeds", seeds, "--jobs", "2",
                                "--out", tmp_path, timeout=1800)
    assert s is not None, stderr
    assert s["failed"] == 0, f"{name}: failures {s['failures'][:5]}"
    assert code == 0


@pytest.mark.parametrize("name", sorted(EXPECTED_TO_FAIL))
def test_unsafe_scenario_is_caught_and_replayed(kz_bin, tmp_path, name):
    checker = EXPECTED_TO_FAIL[name]
    code, _, _, s = run_kz("sim", "explore", ROOT / "scenarios" / name, "--seeds", SEEDS, "--jobs", "2",
                           "--out", tmp_path, timeout=1800)
    assert code == 1 and s["failed"] > 0, "the unsafe configuration was not caught in 200 seeds"
    # Run directories for the 100 lowest failing seeds only; the rest replay with `kz sim run`.
    kept = [f for f in s["failures"] if "run_dir" in f]
    assert len(kept) == min(100, s["failed"]) and len(list(tmp_path.glob("seed-*"))) == len(kept)
    assert all(f["replay"].startswith("kz sim run ") for f in s["failures"] if "run_dir" not in f)
    first = s["failures"][0]
    summary = json.loads((pathlib.Path(first["run_dir"]) / "summary.json").read_text())
    failed = [c["checker"] for c in summary["checks"] if not c["ok"]]
    assert checker in failed
    witness = next(c for c in summary["checks"] if c["checker"] == checker)["witness"]
    assert witness, "a failing checker must show its witness"
    code, _, stderr, r = run_kz("sim", "replay", first["run_dir"])
    assert code == 1, stderr
    assert r["reproduced"] is True and r["trace_hash"] == summary["trace_hash"]
    # Shrink: a minimal scenario with explicit faults that still fails the same checker.
    shrunk = tmp_path / "shrunk.toml"
    code, _, stderr, sh = run_kz("sim", "shrink", first["run_dir"], "--checker", checker, "--out", shrunk,
                                 timeout=900)
    assert code == 0, stderr
    assert sh["checker"] == checker and sh["faults_after"] <= 3, sh
    assert sh["faults_after"] <= sh["faults_before"]
    code, _, stderr, again = run_kz("sim", "run", shrunk, "--seed", sh["seed"], "--no-out")
    assert code == 1, stderr
    assert any(c["checker"] == checker and not c["ok"] for c in again["checks"])


def test_shrink_refuses_a_passing_run(kz_bin, tmp_path):
    code, _, _, s = run_kz("sim", "run", ROOT / "scenarios" / "echo-partition.toml", "--seed", 1, "--out",
                           tmp_path / "run")
    assert code == 0 and s["result"] == "pass"
    code, _, stderr, _ = run_kz("sim", "shrink", tmp_path / "run")
    assert code == 2 and "nothing to shrink" in stderr


def test_follower_restarts_need_snap_and_trunc(kz_bin, tmp_path):
    """zk-follower-restart exists to exercise both non-DIFF syncs: over a few seeds both occur."""
    modes = set()
    for seed in range(1, 9):
        code, _, stderr, _ = run_kz("sim", "run", ROOT / "scenarios" / "zk-follower-restart.toml", "--seed", seed,
                                    "--out", tmp_path / f"s{seed}")
        assert code == 0, stderr
        for line in (tmp_path / f"s{seed}" / "events.jsonl").read_text().splitlines():
            e = json.loads(line)
            if e["kind"] == "sync":
                modes.add(e["fields"]["mode"])
    assert {"SNAP", "TRUNC"} <= modes, modes


@pytest.mark.parametrize("name", ["zk-standalone-power-loss.toml", "zk-leader-crash.toml"])
def test_zk_scenario_is_deterministic_across_processes(kz_bin, name):
    """zk-leader-crash runs with BUGGIFY on: fault points must be as reproducible as the rest."""
    scenario = ROOT / "scenarios" / name
    for seed in (1, 2, 3):
        _, _, _, a = run_kz("sim", "run", scenario, "--seed", seed, "--no-out", "--quiet")
        _, _, _, b = run_kz("sim", "run", scenario, "--seed", seed, "--no-out", "--quiet")
        assert a["trace_hash"] == b["trace_hash"]
        assert a["probes"] == b["probes"] and a["buggify_fired"] == b["buggify_fired"]


def test_explore_reports_probes_and_buggify_fires(kz_bin, tmp_path):
    code, _, stderr, s = run_kz("sim", "explore", ROOT / "scenarios" / "zk-leader-crash.toml", "--seeds", "1..6",
                                "--jobs", "2", "--out", tmp_path)
    assert code == 0, stderr
    explore = json.loads((tmp_path / "explore.json").read_text())
    assert explore["probes_hit"]["zk.sync.diff"] > 0  # every election syncs followers
    assert explore["probes_hit"].get("buggify.fired", 0) > 0, "BUGGIFY is on in this scenario"
    assert "zk.request.malformed" in s["probes_never_hit"]  # no workload sends garbage
    assert not set(explore["probes_hit"]) & set(s["probes_never_hit"])
