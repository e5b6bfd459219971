"""The 跨省通办 benchmark still runs end to end (on 2,000 cases; nothing is timed here)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "services.py"


def test_services_benchmark_runs_every_query() -> None:
    env = os.environ | {"PYTHONPATH": str(BENCH.parents[1] / "src")}
    out = subprocess.run([sys.executable, str(BENCH), "--cases", "2000", "--repeat", "1"],
                         check=True, capture_output=True, text=True, timeout=300, env=env).stdout
    assert "2,000 cases over 5 years" in out
    for name in ("work list: mine", "work list: overdue", "overdue list",
                 "monthly statistics, 2025", "monthly statistics, 5 years"):
        assert re.search(rf"{re.escape(name)}.*\d+\.\d$", out, re.M), out
    five_years = re.search(r"monthly statistics, 5 years \(office\)\s+(\d+)", out)
    assert five_years is not None and five_years.group(1) == "60"
