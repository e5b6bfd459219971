"""The load benchmark still runs end to end: production server, demo data, every kind of
request in the mix (each client starts with one of each kind; 2 clients for about 2 s;
nothing is timed here)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "load.py"


def test_load_benchmark_runs_the_mix_without_errors() -> None:
    run = subprocess.run(
        [sys.executable, str(BENCH), "--clients", "2", "--seconds", "2", "--workers", "2"],
        capture_output=True, text=True, timeout=300,
    )
    out = run.stdout
    assert run.returncode == 0, out + run.stderr
    assert re.search(r"requests/s \d+\.\d  p50 \d+\.\d ms  p99 \d+\.\d ms  "
                     r"5xx 0  connection errors 0", out), out
    assert "targets: 0 errors met" in out
    for kind in ("page", "api read", "station push", "import", "statement"):
        assert re.search(rf"  {kind} +[1-9]\d* requests", out), out
