"""report.html and the explore index: self-contained pages rendered from a run directory's files."""
import json
import os
import re
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET

import pytest

from conftest import KZ, ROOT, run_kz

PASSING = ROOT / "scenarios" / "zk-leader-crash.toml"
FAILING = ROOT / "scenarios" / "zk-unsafe-forcesync-no.toml"

# Anything that would make the page load something from elsewhere.
EXTERNAL = re.compile(r"""(?:src|href|xlink:href|action)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?\s*(?:https?:)?//|@import""",
                      re.IGNORECASE)


def assert_self_contained(html):
    assert html.startswith("<!DOCTYPE html>")
    assert not EXTERNAL.search(html), EXTERNAL.search(html).group(0)
    assert "<script src" not in html and "<link" not in html
    assert "<svg" in html
    for svg in re.findall(r"<svg.*?</svg>", html, re.DOTALL):
        ET.fromstring(svg)  # every inline picture is well-formed


@pytest.fixture(scope="module")
def passing_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports") / "pass"
    run_kz("sim", "run", PASSING, "--seed", 1, "--out", out, "--quiet", check_exit=0)
    return out


@pytest.fixture(scope="module")
def explore_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports") / "explore"
    code, _, _, summary = run_kz("sim", "explore", FAILING, "--seeds", "1..10", "--jobs", 2, "--out", out)
    assert code == 1 and summary["failed"] >= 1, summary
    return out


@pytest.fixture(scope="module")
def failing_run(explore_dir):
    explore = json.loads((explore_dir / "explore.json").read_text())
    seed = min(f["seed"] for f in explore["failures"])
    return explore_dir / f"seed-{seed}"


def test_passing_run_has_a_self_contained_report(passing_run):
    html = (passing_run / "report.html").read_text()
    assert_self_contained(html)
    assert '<div class="verdict pass"><b>PASS</b>' in html
    assert html.count("<svg") >= 3, "the timeline and at least two cluster pictures"
    clients = {json.loads(l)["process"] for l in (passing_run / "history.jsonl").read_text().splitlines()}
    assert len(clients) == 3
    for lane in ["zk1", "zk2", "zk3", "faults", "network", *clients]:
        assert f">{lane}</text>" in html, lane
    assert "leader e" in html and "crashed" in html and "power off" in html
    assert "Cluster pictures unavailable" not in html
    assert 'class="op ok"' in html
    summary = json.loads((passing_run / "summary.json").read_text())
    assert summary["trace_hash"] in html and summary["build"] in html
    assert f"kz sim replay {passing_run}" in html
    assert len(html) < 3_000_000


def test_failing_run_highlights_the_witness(failing_run):
    summary = json.loads((failing_run / "summary.json").read_text())
    failed = [c for c in summary["checks"] if not c["ok"]]
    assert failed and failed[0]["witness_ops"], failed
    witness = set()
    for c in failed:
        witness |= set(c.get("witness_ops") or [])
    html = (failing_run / "report.html").read_text()
    assert_self_contained(html)
    assert '<div class="verdict fail"><b>FAIL</b>' in html
    for c in failed:
        assert f"<b>{c['checker']}</b>" in html
    for op in witness:
        assert f'<tr class="witness"><td>{op}</td>' in html, op
        assert f"WITNESS op {op} by" in html, op
    assert html.count(' witness" x=') == len(witness)
    assert html.count('class="band"') == len(witness)
    assert html.count('<tr class="witness">') == len(witness)


def test_report_rerenders_identically_from_the_run_directory(failing_run, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(failing_run, copy)
    original = (copy / "report.html").read_text()
    (copy / "report.html").unlink()
    run_kz("sim", "report", copy, check_exit=0)
    again = (copy / "report.html").read_text()
    assert again == original.replace(str(failing_run), str(copy))


def test_explore_writes_an_index(explore_dir):
    explore = json.loads((explore_dir / "explore.json").read_text())
    index = (explore_dir / "index.html").read_text()
    assert_self_contained(index + "<svg")  # the index has no pictures
    rows = re.findall(r'<tr(?: class="bad")?><td>(\d+)</td><td>(\w+)</td>', index)
    assert [int(s) for s, _ in rows] == list(range(1, 11))
    for r in explore["results"]:
        assert (str(r["seed"]), r["result"]) in rows
    for f in explore["failures"]:
        assert f'href="seed-{f["seed"]}/report.html"' in index
        assert (explore_dir / f"seed-{f['seed']}" / "report.html").exists()


def test_report_without_dot_still_renders(passing_run, tmp_path):
    copy = tmp_path / "nodot"
    shutil.copytree(passing_run, copy)
    env = dict(os.environ, PATH=str(tmp_path / "empty-path"))
    proc = subprocess.run([str(KZ), "sim", "report", str(copy)], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    html = (copy / "report.html").read_text()
    assert "Cluster pictures unavailable</b>: dot not found on PATH" in html
    assert 'id="timeline"' in html


def test_report_of_a_bad_directory_is_a_clear_error(tmp_path):
    code, _, err, _ = run_kz("sim", "report", tmp_path)
    assert code == 2 and "neither a run directory" in err
    (tmp_path / "summary.json").write_text("{}")
    (tmp_path / "history.jsonl").write_text('{"op": 1, "time_ns": 1, "type": "invoke"}\nnot json\n')
    (tmp_path / "events.jsonl").write_text("")
    code, _, err, _ = run_kz("sim", "report", tmp_path)
    assert code == 2 and "history.jsonl:2: not a JSON object" in err
    (tmp_path / "history.jsonl").write_text("")
    (tmp_path / "summary.json").write_text('{"result": 5, "checks": [{"ok": "yes"}]}')
    code, _, err, _ = run_kz("sim", "report", tmp_path)
    assert code == 2 and "a field has an unexpected type" in err, err


def test_a_hundred_thousand_history_entries_stay_usable(passing_run, tmp_path):
    big = tmp_path / "big"
    shutil.copytree(passing_run, big)
    lines = []
    for op in range(1, 50_001):
        t = op * 400_000
        lines.append(json.dumps({"index": 2 * op - 2, "op": op, "time_ns": t, "type": "invoke",
                                 "process": f"c{op % 3 + 1}", "f": "read", "value": {"key": op % 3}}))
        lines.append(json.dumps({"index": 2 * op - 1, "op": op, "time_ns": t + 300_000,
                                 "type": "ok" if op % 97 else "info", "process": f"c{op % 3 + 1}", "f": "read",
                                 "value": {"key": op % 3, "version": op}}))
    (big / "history.jsonl").write_text("\n".join(lines) + "\n")
    start = time.monotonic()
    run_kz("sim", "report", big, check_exit=0)
    elapsed = time.monotonic() - start
    html = (big / "report.html").read_text()
    assert "50000 operations: the timeline draws 3000 of them" in html
    assert len(html) < 3_000_000, len(html)
    assert elapsed < 10, elapsed


def test_replay_rewrites_the_report(tmp_path):
    out = tmp_path / "run"
    run_kz("sim", "run", ROOT / "scenarios" / "echo-partition.toml", "--seed", 2, "--out", out, "--quiet",
           check_exit=0)
    first = (out / "report.html").read_text()
    (out / "report.html").unlink()
    code, _, err, r = run_kz("sim", "replay", out)
    assert code == 0 and r["reproduced"], err
    assert (out / "report.html").read_text() == first
    assert "partition" in first and 'class="part"' in first  # the scheduled partition is drawn
