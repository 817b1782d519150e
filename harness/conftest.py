"""Shared fixtures of the pytest harness: where the kz binary and the scenarios are."""
import json
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
KZ = pathlib.Path(os.environ.get("KZ_BIN", ROOT / "build" / "kz"))


def run_kz(*args, timeout=600, check_exit=None, cwd=None):
    """Runs build/kz; returns (exit code, stdout, stderr, last stdout line parsed as JSON or None)."""
    proc = subprocess.run([str(KZ), *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          cwd=cwd or ROOT)
    last = None
    lines = [l for l in proc.stdout.splitlines() if l.strip()]
    if lines:
        try:
            last = json.loads(lines[-1])
        except json.JSONDecodeError:
            last = None
    if check_exit is not None:
        assert proc.returncode == check_exit, f"kz {' '.join(map(str, args))} exited {proc.returncode}\n" \
                                              f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}"
    return proc.returncode, proc.stdout, proc.stderr, last


@pytest.fixture(scope="session")
def kz_bin():
    if not KZ.exists():
        pytest.fail(f"{KZ} not built: run scripts/build.sh")
    return KZ
