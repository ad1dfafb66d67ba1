"""Two real Celery workers against Harvest's real limit (100 requests / 15 s).

Four data sources on one token, 500 requests in all, through the shared rate
limiter; the sandbox enforces the limit unscaled. Prints the 429 count and the
achieved rate as a share of the limit (median 100-request span, and over the
whole run). Uses PostgreSQL + Redis when DATABASE_URL / REDIS_URL are set.

    .venv/bin/python bench/ratelimit_workers.py                # ~80 s
    .venv/bin/python bench/ratelimit_workers.py --scale 0.4    # windows scaled
"""

import argparse
import signal
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.ratelimit_stack import (  # noqa: E402
    DIRECT_QUERY,
    achieved_ratio,
    api_requests,
    overall_ratio,
    stack_for_tests,
)
from sandbox.server import run_in_thread  # noqa: E402

LIMIT = 100
SOURCES = 4
PER_PAGE = 10


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--requests", type=int, default=500)
    options = parser.parse_args(argv)
    # A SIGTERM (e.g. from `timeout`) still stops the workers: left running,
    # they would take the next stack's tasks from the shared Redis database.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    window = 15 * options.scale
    entries = options.requests // SOURCES * PER_PAGE
    sb = run_in_thread(entries=entries, general_limit=LIMIT, general_window=window)
    with tempfile.TemporaryDirectory(prefix="ratelimit-workers-") as data_dir:
        stack = stack_for_tests(Path(data_dir), sb, rate_limit_scale=options.scale)
        try:
            made = stack.create_sources(
                [DIRECT_QUERY.format(per_page=PER_PAGE)] * SOURCES, "sandbox-demo-pat"
            )
            sb.reset()
            sb.knobs.general_window = window
            started = time.monotonic()
            runs = stack.wait_for_runs(stack.queue(made["sources"]), timeout=3600)
            seconds = time.monotonic() - started
        finally:
            stack.stop()
            sb.stop()

    requests = api_requests(sb)
    throttled = sum(1 for r in requests if r.status == 429)
    print(f"limit: {LIMIT} requests / {window:g} s; workers: 2 x concurrency 2")
    print(f"runs: {sorted(status for status, _ in runs.values())}")
    print(f"requests: {len(requests)} in {seconds:.1f} s; 429 responses: {throttled}")
    print(
        f"achieved/limit: {achieved_ratio(requests, LIMIT, window):.3f} "
        f"(median 100-request span); {overall_ratio(requests, LIMIT, window):.3f} "
        "(whole run, first window as a burst)"
    )
    return 0 if throttled == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
