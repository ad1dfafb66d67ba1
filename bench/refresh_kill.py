"""kill -9 a Celery worker mid-refresh, N times, and check nothing is lost.

    .venv/bin/python bench/refresh_kill.py --rounds 20 --entries 30000

Each round queues a full refresh against a slow sandbox, SIGKILLs the worker's
process group at a random page, checks the previous version and mirror are
byte-identical, lets the lease lapse, recovers the dead run ("worker stopped"),
starts a new worker and checks the next refresh completes.
"""

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.datasources.worker_harness import WorkerStack, kill_mid_refresh


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--entries", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    failures = 0
    with tempfile.TemporaryDirectory() as folder:
        stack = WorkerStack(data_dir=Path(folder), sandbox_entries=args.entries)
        stack.start()
        try:
            source_id = stack.create_source()
            stack.wait_for_run(stack.queue(source_id))
            stack.knobs(delay=0.2)
            rng = random.Random(args.seed)
            for number in range(1, args.rounds + 1):
                started = time.monotonic()
                result = kill_mid_refresh(stack, source_id, rng)
                intact = result["after"] == result["before"] and (
                    result["mirror_after"] == result["mirror_before"]
                )
                recovered = result["next_run"]["status"] == "succeeded" and (
                    result["next_version"]["row_count"] == args.entries
                )
                failures += not (intact and recovered)
                print(
                    f"round {number:2d}: killed at page "
                    f"{result['killed']['pages_done']:2d}, previous version intact: "
                    f"{intact}, dead run: {result['dead_run']['status']}, next run: "
                    f"{result['next_run']['status']} "
                    f"({result['next_version']['row_count']} rows), "
                    f"{time.monotonic() - started:.1f} s",
                    flush=True,
                )
        finally:
            stack.stop()
    print(f"{args.rounds - failures}/{args.rounds} rounds kept data and recovered")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
