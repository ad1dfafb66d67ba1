"""A full refresh of N time entries under Harvest's limits, then one with nothing changed.

    .venv/bin/python bench/refresh_1m.py                    # 1,000,000 entries
    .venv/bin/python bench/refresh_1m.py --entries 100000

Starts the sandbox (enforcing 100 requests / 15 s) and a real Celery worker
(solo pool, so the refresh runs in the process whose peak RSS is reported) on a
fresh database, and prints:

* the full refresh's time as a ratio of its bound: ceil(N/2000) requests made
  one after another, each taking the per-page time (fetch + store one page)
  measured unthrottled in the same run on a sample of pages, none sooner than
  15 s after the one 100 requests before;
* entries per second, requests used, 429s the sandbox sent (from its request
  log), the worker's peak RSS;
* the requests per collection of a refresh with nothing changed;
* how long storing one page of 2,000 real records takes.
"""

import argparse
import math
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.datasources.worker_harness import ACCOUNT_ID, WorkerStack

PER_PAGE = 2000
LIMIT, WINDOW = 100, 15.0
LOG_LINE = re.compile(r"method=GET path=(/api/v2/[a-z_]+)\S* status=(\d+)")


def _setup_django(stack: WorkerStack) -> None:
    os.environ.update(stack.env())
    os.environ["DJANGO_SETTINGS_MODULE"] = "harvestdash.settings"
    import django

    django.setup()


def _sandbox_requests(stack: WorkerStack) -> list[tuple[str, int]]:
    return [
        (match.group(1), int(match.group(2)))
        for match in LOG_LINE.finditer(stack.log("sandbox"))
    ]


def _bound_seconds(pages: int, page_seconds: float) -> float:
    """The least time for `pages` requests made one after another, each taking
    `page_seconds`, none sooner than WINDOW after the one LIMIT requests before."""
    starts: list[float] = []
    for number in range(pages):
        start = starts[-1] + page_seconds if starts else 0.0
        if number >= LIMIT:
            start = max(start, starts[number - LIMIT] + WINDOW)
        starts.append(start)
    return starts[-1] + page_seconds


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class RssSampler:
    """The worker's resident memory every 0.1 s, to tell which phase peaks."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.samples: list[tuple[float, float]] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> "RssSampler":
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.stopped.set()
        self.thread.join()
        if dump := os.environ.get("BENCH_RSS_DUMP"):
            lines = (f"{moment:.1f} {rss:.0f}" for moment, rss in self.samples)
            Path(dump).write_text("\n".join(lines) + "\n")

    def _sample(self) -> None:
        started = time.monotonic()
        while not self.stopped.wait(0.1):
            status = Path(f"/proc/{self.pid}/status").read_text()
            rss = next(
                int(line.split()[1]) / 1024
                for line in status.splitlines()
                if line.startswith("VmRSS:")
            )
            self.samples.append((time.monotonic() - started, rss))

    def summary(self) -> str:
        if not self.samples:
            return "no samples"
        at, peak = max(self.samples, key=lambda sample: sample[1])
        total = self.samples[-1][0]
        # The highest sample of every 5 s, to see a phase that holds memory.
        fives: dict[int, float] = {}
        for moment, rss in self.samples:
            fives[int(moment // 5)] = max(fives.get(int(moment // 5), 0.0), rss)
        coarse = " ".join(f"{rss:.0f}" for _, rss in sorted(fives.items()))
        return (
            f"peak {peak:.0f} MB at {at:.1f} s of {total:.1f} s; max per 5 s: {coarse}"
        )


def _pacing(stack: WorkerStack, requests: int) -> str:
    """How closely the walk's requests used the 100-per-15-s bound: the gap
    between each request and the one LIMIT before it (WINDOW at best)."""
    stamps = re.compile(
        r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) .*method=GET "
        r"path=/api/v2/time_entries"
    )
    from datetime import datetime

    moments = [
        datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()
        for line in stack.log("sandbox").splitlines()
        if (match := stamps.search(line))
    ][-requests:]
    gaps = [moments[i] - moments[i - LIMIT] for i in range(LIMIT, len(moments))]
    if not gaps:
        return "fewer than LIMIT requests"
    return (
        f"request i - request i-{LIMIT}: min {min(gaps):.2f} s, median "
        f"{statistics.median(gaps):.2f} s, max {max(gaps):.2f} s"
    )


def _unthrottled_page_seconds(stack: WorkerStack, source_id: int, pages: int):
    """Mean time to fetch and spool one page, with every limit lifted."""
    from pyrate_limiter import Duration, Rate

    from connectors.harvest.client import HarvestClient
    from connectors.ratelimit import HarvestRateLimiter, store_from_url
    from datasources.models import DataSource
    from datasources.storage import Spool, SpoolWriter, write_version

    source = DataSource.objects.select_related("connection").get(pk=source_id)
    store = store_from_url(f"sqlite:///{stack.data_dir / 'unthrottled.sqlite3'}")
    lifted = Rate(10**6, Duration.SECOND * 15)
    limiter = HarvestRateLimiter(store, rates={"general": lifted, "reports": lifted})
    client = HarvestClient(source.connection, ACCOUNT_ID, limiter=limiter)
    stack.knobs(general_limit=10**6)

    # Fetch + store exactly as a refresh does it (the spool fed from its thread).
    timings, sample_page = [], None
    with tempfile.TemporaryDirectory() as folder:
        writer = SpoolWriter(Spool(Path(folder) / "sample.ndjson"))
        started = time.perf_counter()
        for page in client.iter_pages("/v2/time_entries"):
            writer.write(page.records)
            sample_page = sample_page or page
            if len(timings) + 1 == pages:
                writer.close()
            timings.append(time.perf_counter() - started)
            started = time.perf_counter()
            if len(timings) == pages:
                break

        spool_ms = []
        for number in range(5):
            spool = Spool(Path(folder) / f"one-page-{number}.ndjson")
            started = time.perf_counter()
            spool.write(sample_page.records)
            spool_ms.append((time.perf_counter() - started) * 1000)
            spool.close()

    store_ms = []
    for _ in range(5):
        started = time.perf_counter()
        version = write_version(source, [sample_page])
        store_ms.append((time.perf_counter() - started) * 1000)
        version.delete()
    # Back to Harvest's limits, with empty counters and request log.
    _reset_sandbox(stack)
    return (
        statistics.mean(timings),
        statistics.median(spool_ms),
        statistics.median(store_ms),
        len(sample_page.records),
    )


def _reset_sandbox(stack: WorkerStack) -> None:
    import urllib.request

    url = f"{stack.sandbox_url}/_sandbox/reset"
    request = urllib.request.Request(url, method="POST")  # noqa: S310 (our sandbox)
    urllib.request.urlopen(request, timeout=10).read()  # noqa: S310 (our sandbox)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--sample-pages", type=int, default=10)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        stack = WorkerStack(
            data_dir=Path(folder),
            sandbox_entries=args.entries,
            lease_seconds=1800,
            full_pass_hours=24,
            pool="solo",
        )
        stack.start()
        try:
            return _bench(stack, args)
        finally:
            stack.stop()


def _bench(stack: WorkerStack, args) -> int:
    _setup_django(stack)
    source_id = stack.create_source()
    pages = math.ceil(args.entries / PER_PAGE)
    page_seconds, spool_ms, store_ms, store_rows = _unthrottled_page_seconds(
        stack, source_id, min(args.sample_pages, pages)
    )
    log_mark = len(_sandbox_requests(stack))
    rss_idle = _peak_rss_mb(stack.worker.pid)

    from datasources.models import Mirror, RefreshRun

    run = RefreshRun.objects.get(pk=stack.queue(source_id))
    with RssSampler(stack.worker.pid) as rss_timeline:
        finished = stack.wait_for_run(run.pk, timeout=7200)
    run.refresh_from_db()
    if finished["status"] != "succeeded":
        print(f"full refresh failed: {finished['error']}")
        return 1
    seconds = run.duration_ms / 1000
    sent = _sandbox_requests(stack)[log_mark:]
    pacing = _pacing(stack, len(sent))
    throttled = sum(1 for _path, status in sent if status == 429)
    bound = _bound_seconds(pages, page_seconds)
    rss_full = _peak_rss_mb(stack.worker.pid)

    log_mark = len(_sandbox_requests(stack))
    again = RefreshRun.objects.get(pk=stack.queue(source_id))
    stack.wait_for_run(again.pk)
    again.refresh_from_db()
    per_collection: dict[str, int] = {}
    for path, _status in _sandbox_requests(stack)[log_mark:]:
        per_collection[path] = per_collection.get(path, 0) + 1
    mirror = Mirror.objects.get()
    phases = re.compile(
        r"(refresh started|rate limit wait|mirror fetched|mirror synced|version written|"
        r"refresh succeeded).*"
    )
    for line in stack.log(f"worker{stack.workers_started}").splitlines():
        if phases.search(line):
            print("worker:", line[:23], phases.search(line).group(0)[:110])

    print(
        f"entries                      {args.entries:,} ({pages} pages of {PER_PAGE})"
    )
    print(
        f"per-page time, unthrottled   {page_seconds * 1000:.0f} ms (fetch + spool, "
        f"mean of {min(args.sample_pages, pages)} pages)"
    )
    print(
        f"bound                        {bound:.1f} s ({pages} requests in a row, "
        f"{page_seconds:.3f} s each, at most {LIMIT} per {WINDOW:.0f} s)"
    )
    print(
        f"full refresh                 {seconds:.1f} s = {seconds / bound:.2f} x bound"
    )
    print(f"entries per second           {args.entries / seconds:,.0f}")
    print(f"requests used                {run.requests} (sandbox saw {len(sent)})")
    print(f"429s received                {throttled}")
    print(f"pacing                       {pacing}")
    print(f"worker RSS timeline          {rss_timeline.summary()}")
    print(
        f"worker peak RSS              {rss_full:.0f} MB ({rss_idle:.0f} MB before "
        "the refresh)"
    )
    print(
        f"mirror                       {mirror.row_count:,} rows, "
        f"{mirror.byte_size / 1e6:.1f} MB Parquet"
    )
    print(
        f"nothing changed: requests    {dict(sorted(per_collection.items()))} "
        f"in {again.duration_ms / 1000:.1f} s ({again.rows:,} rows)"
    )
    print(
        f"storing {store_rows:,} records        {spool_ms:.0f} ms per page in a refresh "
        f"(flatten + NDJSON, median of 5, on a thread of its own while the next "
        f"page is fetched); {store_ms:.0f} ms as a one-page version "
        "(+ Parquet + file + row, median of 5)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
