"""The simulator's command line: determinism across processes, replay, exit codes, bad input."""
import json
import pathlib

from conftest import ROOT, run_kz

SCENARIO = ROOT / "scenarios" / "echo-partition.toml"
SEEDS = range(1, 11)


def test_same_seed_same_trace_hash_in_separate_processes(kz_bin):
    for seed in SEEDS:
        _, _, _, a = run_kz("sim", "run", SCENARIO, "--seed", seed, "--no-out", "--quiet")
        _, _, _, b = run_kz("sim", "run", SCENARIO, "--seed", seed, "--no-out", "--quiet")
        assert a is not None and b is not None
        assert a["trace_hash"] == b["trace_hash"], f"seed {seed}: {a['trace_hash']} != {b['trace_hash']}"
        assert a["events"] == b["events"]
        for key in ("seed", "result", "trace_hash", "sim_ms", "wall_ms", "events"):
            assert key in a


def test_different_seeds_give_different_schedules(kz_bin):
    hashes = set()
    for seed in SEEDS:
        _, _, _, s = run_kz("sim", "run", SCENARIO, "--seed", seed, "--no-out", "--quiet")
        hashes.add(s["trace_hash"])
    assert len(hashes) == len(SEEDS)


def test_run_passes_and_replay_reproduces(kz_bin, tmp_path):
    out = tmp_path / "run"
    code, _, stderr, s = run_kz("sim", "run", SCENARIO, "--seed", 3, "--out", out)
    assert code == 0, stderr
    assert s["result"] == "pass"
    for name in ("summary.json", "history.jsonl", "events.jsonl", "log.txt", "scenario.toml"):
        assert (out / name).exists(), name
    history = [json.loads(l) for l in (out / "history.jsonl").read_text().splitlines()]
    assert any(e["type"] == "ok" for e in history)
    code, _, stderr, r = run_kz("sim", "replay", out)
    assert code == 0, stderr
    assert r["reproduced"] is True
    assert r["trace_hash"] == s["trace_hash"]
    # The summary.json alone is a bundle.
    code, _, _, r2 = run_kz("sim", "replay", out / "summary.json")
    assert code == 0 and r2["trace_hash"] == s["trace_hash"]


def test_replay_says_when_it_does_not_reproduce(kz_bin, tmp_path):
    out = tmp_path / "run"
    run_kz("sim", "run", SCENARIO, "--seed", 4, "--out", out, check_exit=0)
    summary = json.loads((out / "summary.json").read_text())
    summary["trace_hash"] = "0000000000000000"
    (out / "summary.json").write_text(json.dumps(summary))
    code, _, stderr, r = run_kz("sim", "replay", out)
    assert code == 3
    assert r["reproduced"] is False
    assert "did NOT reproduce" in stderr


def test_bad_scenario_names_file_line_and_key(kz_bin, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nduration_ms = 1000\n[cluster]\nservice = "echo"\nnodez = 3\n')
    code, _, stderr, _ = run_kz("sim", "run", bad, "--no-out")
    assert code == 2
    assert f"{bad}:5: cluster.nodez: unknown key" in stderr
    bad.write_text('name = "x"\n[[fault]]\nat_ms = 10\nkind = "meteor"\n')
    code, _, stderr, _ = run_kz("sim", "run", bad, "--no-out")
    assert code == 2
    assert f"{bad}:2: fault.kind: unknown fault 'meteor'" in stderr
    bad.write_text('name = "x"\nduration_ms = "long"\n')
    code, _, stderr, _ = run_kz("sim", "run", bad, "--no-out")
    assert code == 2 and f"{bad}:2: duration_ms: must be an integer" in stderr
    bad.write_text('name = "x"\nduration_ms = [\n')
    code, _, stderr, _ = run_kz("sim", "run", bad, "--no-out")
    assert code == 2 and str(bad) in stderr
    code, _, stderr, _ = run_kz("sim", "run", tmp_path / "missing.toml", "--no-out")
    assert code == 2 and "missing.toml" in stderr


def test_explore_runs_seeds_in_processes(kz_bin, tmp_path):
    code, _, stderr, s = run_kz("sim", "explore", SCENARIO, "--seeds", "1..4", "--jobs", "2", "--out", tmp_path)
    assert code == 0, stderr
    assert s["runs"] == 4 and s["passed"] == 4 and s["failed"] == 0
    data = json.loads((tmp_path / "explore.json").read_text())
    assert sorted(r["seed"] for r in data["results"]) == [1, 2, 3, 4]
    # Passing seeds keep no run directory (a ~1 MB history each) unless asked to.
    assert not any((tmp_path / f"seed-{n}").exists() for n in range(1, 5))
    assert not any("run_dir" in r for r in data["results"]) and data["kept_passing"] is False
    code, _, _, _ = run_kz("sim", "explore", SCENARIO, "--seeds", "1..2", "--keep-passing", "--out", tmp_path / "k")
    assert code == 0
    assert all((tmp_path / "k" / f"seed-{n}" / "history.jsonl").exists() for n in (1, 2))
    assert 'href="seed-1/">run directory' in (tmp_path / "k" / "index.html").read_text()
    # Shards split the range.
    code, _, _, s0 = run_kz("sim", "explore", SCENARIO, "--seeds", "1..4", "--shard", "0/2", "--out", tmp_path / "a")
    assert s0["runs"] == 2


def test_failing_run_prints_its_replay_command_and_replays(kz_bin, tmp_path):
    # An impossible liveness bound (0 ms after the final heal) makes a run fail deterministically.
    text = SCENARIO.read_text().replace("liveness_ms = 5000", "liveness_ms = 0")
    scenario = tmp_path / "impossible.toml"
    scenario.write_text(text)
    out = tmp_path / "run"
    code, _, stderr, s = run_kz("sim", "run", scenario, "--seed", 5, "--out", out)
    assert code == 1, stderr
    assert s["result"] == "fail"
    assert f"reproduce with: kz sim run {scenario} --seed 5" in stderr
    assert f"shrink with:    kz sim shrink {out}" in stderr
    assert "FAIL liveness" in stderr
    code, _, stderr, r = run_kz("sim", "replay", out)
    assert code == 1 and r["reproduced"] is True and r["result"] == "fail"
