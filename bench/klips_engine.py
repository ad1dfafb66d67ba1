"""Klip engine vs DuckDB by hand: hours by project by week over 1M time entries.

Run: .venv/bin/python bench/klips_engine.py [--rows 1000000] [--repeat 5]

Both sides read the same Parquet file with a fresh DuckDB connection per run and
no result cache (the engine is called with use_cache=False), so this measures
what a dashboard pays the first time it sees a new data version. The engine's
extra cost is the per-column TRY_CAST into the modelled types and the Parquet
schema read. Target: engine <= 2x the hand-written query. Not a test.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DIRECT_SQL = """
SELECT "project.name" AS project,
       CAST(date_trunc('week', CAST(spent_date AS DATE)) AS DATE) AS week,
       sum(hours) AS hours
FROM read_parquet(?)
GROUP BY 1, 2
ORDER BY 1, 2
"""


def _uniform(rows: int, seed: int) -> pa.Array:
    return pc.random(rows, initializer=seed)


def _picks(values: list, rows: int, seed: int) -> pa.Array:
    """`rows` values drawn from `values`, reproducibly."""
    scaled = pc.multiply(_uniform(rows, seed), len(values))
    indexes = pc.cast(pc.floor(scaled), pa.int64())
    return pa.array(values).take(indexes)


def write_entries(path: Path, rows: int) -> None:
    """Flattened Harvest time entries, as a refresh stores them."""
    start = date(2026, 1, 1)
    days = [(start + timedelta(days=d)).isoformat() for d in range(365)]
    projects = [f"Project {n:03d}" for n in range(120)]
    hours = pc.round(pc.add(pc.multiply(_uniform(rows, 3), 7.75), 0.25), 2)
    table = pa.table(
        {
            "id": pa.array(range(1, rows + 1), pa.int64()),
            "spent_date": _picks(days, rows, 1),
            "hours": hours,
            "billable": pc.less(_uniform(rows, 4), 0.8),
            "project.name": _picks(projects, rows, 2),
            "user.name": _picks([f"User {n:02d}" for n in range(40)], rows, 5),
        }
    )
    pq.write_table(table, path)


def time_direct(path: Path) -> tuple[float, int]:
    started = time.perf_counter()
    connection = duckdb.connect(":memory:")
    rows = connection.execute(DIRECT_SQL, [str(path)]).fetchall()
    connection.close()
    return time.perf_counter() - started, len(rows)


def time_engine(path: Path, media: Path) -> tuple[float, int]:
    from datasources.models import DataSource, DataVersion
    from klips.query import run_klip
    from klips.spec import parse_spec

    version = DataVersion(pk=1, file_name=str(path.relative_to(media)), row_count=1)
    source = DataSource(
        pk=1,
        name="bench",
        columns=[
            {"name": "Spent date", "path": "spent_date", "type": "date"},
            {"name": "Hours", "path": "hours", "type": "hours"},
            {"name": "Project name", "path": "project.name", "type": "text"},
        ],
        current_version=version,
    )
    spec = parse_spec(
        {
            "sources": [1],
            "group_by": [
                {"column": "Project name"},
                {"column": "Spent date", "bucket": "week"},
            ],
            "measures": [{"column": "Hours", "agg": "sum"}],
        }
    )

    started = time.perf_counter()
    result = run_klip(spec, {1: source}, use_cache=False)
    return time.perf_counter() - started, len(result.rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        os.environ.setdefault("DATA_DIR", folder)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "harvestdash.settings")
        import django

        django.setup()
        from django.conf import settings

        media = Path(settings.STORAGES["default"]["OPTIONS"]["location"])
        path = media / "bench" / "entries.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_entries(path, args.rows)
        print(f"rows={args.rows} file_mb={path.stat().st_size / 1e6:.1f}")

        # One untimed run of each, so neither pays for loading DuckDB's code.
        time_direct(path)
        time_engine(path, media)
        direct = [time_direct(path) for _ in range(args.repeat)]
        engine = [time_engine(path, media) for _ in range(args.repeat)]

    assert direct[0][1] == engine[0][1], "both sides must return the same groups"
    direct_s = statistics.median(t for t, _ in direct)
    engine_s = statistics.median(t for t, _ in engine)
    ratio = engine_s / direct_s
    print(f"groups={direct[0][1]} repeat={args.repeat} (medians)")
    print(f"duckdb_direct_s={direct_s:.3f}")
    print(f"klip_engine_s={engine_s:.3f}")
    print(f"ratio={ratio:.2f} target<=2.00 {'OK' if ratio <= 2 else 'OVER'}")


if __name__ == "__main__":
    main()
