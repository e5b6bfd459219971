"""The benchmark script still runs end to end (on 3 stations; nothing is timed here)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "water_eval.py"


def test_water_benchmark_runs_both_sides_on_the_same_data(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(BENCH), "--stations", "3", "--repeat", "1",
         "--data-dir", str(tmp_path)],
        check=True, capture_output=True, text=True, timeout=300,
    ).stdout
    assert "3 stations x 9 items x 8760 h = 236,520 values" in out
    run = re.search(r"coopzone .*?(\d[\d,]*) section-months, (\d[\d,]*) item-months\); "
                    r"duckdb .*?(\d[\d,]*) item-months\)", out)
    assert run is not None, out
    assert run.groups() == ("36", "324", "324")  # 3 x 12 months; x 9 items, both sides
    assert re.search(r"ratio coopzone/duckdb: median \d+\.\d\d of 1", out)
