"""Benchmark: coopzone's water-quality evaluation against a plain DuckDB query.

Generates (once, cached under ``--data-dir``) a synthetic year of hourly readings for
N stations x 9 items as Parquet, written station-chunk by station-chunk to stay within
memory. Then, each in its own subprocess so that peak memory is separate:

* coopzone: ``evaluate(pl.scan_parquet(...), period="month")``, the full method
  (½DL, half-even rounding, classes, exceedance, main pollutants, section class);
* duckdb: one SQL query computing monthly means and the single-factor class only.

Prints both wall times, their ratio (coopzone / duckdb) and each side's peak RSS for each
of ``--repeat`` paired runs (the sides alternate, since a shared machine's speed drifts),
then the median ratio. Usage::

    python bench/water_eval.py             # 2,000 stations, ~158 million values, 3 pairs
    python bench/water_eval.py --small     # 100 stations
    python bench/water_eval.py --repeat 7  # more pairs
    python bench/water_eval.py --clean     # delete the cached Parquet afterwards
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ITEMS = ("ph", "do", "codmn", "nh3n", "tp", "tn", "temperature", "cod", "bod5")
# (base, spread) of the synthetic values, chosen so stations span Classes I–劣V.
SHAPE = {
    "ph": (6.5, 2.0), "do": (3.0, 7.0), "codmn": (1.0, 8.0), "nh3n": (0.05, 1.6),
    "tp": (0.01, 0.3), "tn": (0.2, 2.0), "temperature": (5.0, 25.0), "cod": (8.0, 25.0),
    "bod5": (1.0, 5.0),
}
HOURS = 8760
CHUNK_STATIONS = 100


def generate(data_dir: Path, n_stations: int) -> Path:
    """Write the Parquet parts unless a complete set is already there."""
    import polars as pl

    out = data_dir / f"stations-{n_stations}-v2"
    done = out / "_complete"
    if done.exists():
        return out
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    items = pl.DataFrame({
        "item": list(ITEMS),
        "_base": [SHAPE[i][0] for i in ITEMS],
        "_spread": [SHAPE[i][1] for i in ITEMS],
    })
    times = pl.DataFrame({
        "time": pl.datetime_range(
            pl.datetime(2019, 1, 1), pl.datetime(2019, 12, 31, 23), "1h", eager=True
        ).dt.cast_time_unit("us")
    })
    for start in range(0, n_stations, CHUNK_STATIONS):
        stop = min(start + CHUNK_STATIONS, n_stations)
        stations = pl.DataFrame({
            "section": [f"S{i:05d}" for i in range(start, stop)],
            "_level": [(i % 37) / 37 for i in range(start, stop)],
        })
        chunk = (
            stations.join(times, how="cross").join(items, how="cross")
            .with_row_index("_k", offset=start * HOURS * len(ITEMS))
            .with_columns(
                (pl.col("_k").hash(7) % 1_000_000 / 1_000_000).alias("_u")
            )
            .with_columns(
                (pl.col("_base") + pl.col("_spread") * (0.6 * pl.col("_level")
                                                          + 0.4 * pl.col("_u"))).alias("value"),
                (pl.col("_u") < 0.001).alias("below_dl"),
            )
            # Categorical: the Parquet columns are dictionary-encoded either way; this
            # only records in the Arrow schema that Polars may read them as Categorical.
            .select(pl.col("section").cast(pl.Categorical), "time",
                    pl.col("item").cast(pl.Categorical), "value", "below_dl")
        )
        chunk.write_parquet(out / f"part-{start // CHUNK_STATIONS:04d}.parquet")
        del chunk
    done.touch()
    return out


def _peak_rss_mib() -> float:
    """Peak RSS of this process.

    ``ru_maxrss`` survives ``execve`` on Linux (a child forked from a big parent starts
    with the parent's peak), so prefer VmHWM, which belongs to the new address space.
    """
    import resource

    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def run_coopzone(path: str) -> dict[str, float]:
    import polars as pl

    from coopzone.engines.water_quality import evaluate

    t0 = time.perf_counter()
    ev = evaluate(pl.scan_parquet(f"{path}/*.parquet"), period="month", target=3)
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "rows": ev.sections.height, "item_rows": ev.items.height,
            "peak_mib": _peak_rss_mib()}


DUCKDB_SQL = """
WITH limits(item, dir, l1, l2, l3, l4, l5) AS (VALUES
  ('ph', 'range', 6, 9, NULL, NULL, NULL),
  ('do', 'lower', 7.5, 6, 5, 3, 2),
  ('codmn', 'upper', 2, 4, 6, 10, 15),
  ('nh3n', 'upper', 0.15, 0.5, 1.0, 1.5, 2.0),
  ('tp', 'upper', 0.02, 0.1, 0.2, 0.3, 0.4),
  ('cod', 'upper', 15, 15, 20, 30, 40),
  ('bod5', 'upper', 3, 3, 4, 6, 10)),
m AS (
  SELECT section, date_trunc('month', time) AS month, item, avg(value) AS mean
  FROM read_parquet('{path}/*.parquet') GROUP BY ALL)
SELECT m.section, m.month, m.item, m.mean,
  CASE
    WHEN l.dir = 'range' THEN CASE WHEN m.mean BETWEEN 6 AND 9 THEN 1 ELSE 6 END
    WHEN l.dir = 'lower' THEN CASE WHEN m.mean >= l.l1 THEN 1 WHEN m.mean >= l.l2 THEN 2
      WHEN m.mean >= l.l3 THEN 3 WHEN m.mean >= l.l4 THEN 4 WHEN m.mean >= l.l5 THEN 5 ELSE 6 END
    ELSE CASE WHEN m.mean <= l.l1 THEN 1 WHEN m.mean <= l.l2 THEN 2 WHEN m.mean <= l.l3 THEN 3
      WHEN m.mean <= l.l4 THEN 4 WHEN m.mean <= l.l5 THEN 5 ELSE 6 END
  END AS item_class
FROM m LEFT JOIN limits l USING (item)
"""


def run_duckdb(path: str) -> dict[str, float]:
    import duckdb

    t0 = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    rows = con.execute(DUCKDB_SQL.format(path=path)).fetchall()
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "rows": len(rows), "peak_mib": _peak_rss_mib()}


def _child(side: str, path: str) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", side, "--data-dir", path],
        check=True, capture_output=True, text=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default="/tmp/coopzone-bench")
    parser.add_argument("--stations", type=int, default=2000)
    parser.add_argument("--small", action="store_true", help="100 stations")
    parser.add_argument("--repeat", type=int, default=3, help="paired runs (default 3)")
    parser.add_argument("--clean", action="store_true", help="delete the Parquet at the end")
    parser.add_argument("--child", choices=["coopzone", "duckdb"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run = run_coopzone if args.child == "coopzone" else run_duckdb
        print(json.dumps(run(args.data_dir)))
        return
    n = 100 if args.small else args.stations
    t0 = time.perf_counter()
    path = generate(Path(args.data_dir), n)
    size = sum(p.stat().st_size for p in path.glob("*.parquet")) / 2**20
    print(f"data: {path} ({n} stations x {len(ITEMS)} items x {HOURS} h = "
          f"{n * len(ITEMS) * HOURS:,} values, {size:,.0f} MiB, ready in "
          f"{time.perf_counter() - t0:.1f} s)")
    ratios = []
    for run in range(1, args.repeat + 1):  # alternate the sides: the machine's speed drifts
        coop = _child("coopzone", str(path))
        duck = _child("duckdb", str(path))
        ratios.append(coop["seconds"] / duck["seconds"])
        print(f"run {run}: coopzone {coop['seconds']:.2f} s (peak RSS "
              f"{coop['peak_mib']:,.0f} MiB, {coop['rows']:,} section-months, "
              f"{coop['item_rows']:,} item-months); duckdb {duck['seconds']:.2f} s (peak RSS "
              f"{duck['peak_mib']:,.0f} MiB, {duck['rows']:,} item-months); "
              f"ratio {ratios[-1]:.2f}")
    print(f"ratio coopzone/duckdb: median {statistics.median(ratios):.2f} of {len(ratios)} "
          f"(range {min(ratios):.2f}–{max(ratios):.2f})")
    if args.clean:
        shutil.rmtree(path)
        print(f"deleted {path}")


if __name__ == "__main__":
    main()
