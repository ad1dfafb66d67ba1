"""A full refresh of N time entries under Harvest's limits, then with nothing
changed, then tap-harvest's time_entries stream on the same sandbox and data.

    flock /tmp/harvestdash-bench.lock .venv/bin/python bench/refresh_1m.py  # 1M, ~13 min
    .venv/bin/python bench/refresh_1m.py --quick      # 20,000 entries, ~1 min
    .venv/bin/python bench/refresh_1m.py --entries 100000 --no-tap

Starts the sandbox (enforcing 100 requests / 15 s, data up to yesterday) and a
real Celery worker (solo pool, so the refresh runs in the process whose peak
RSS is reported) on a fresh database, and prints:

* the full refresh's time as a ratio of its bound: ceil(N/2000) requests made
  one after another, each taking the per-page time (fetch + spool one page)
  measured unthrottled in the same run on the first and the last pages, none
  sooner than 15 s after the one 100 requests before;
* entries per second, requests used, 429s the sandbox sent (from its request
  log), the walk's pacing, the worker's CPU and peak RSS;
* the requests per collection of a refresh with nothing changed while the
  mirror holds the sandbox's running timer, after that timer was stopped in
  Harvest, and with nothing changed and no timer running;
* how long storing one page of 2,000 real records takes;
* tap-harvest 3.1.1 (its own venv, bench/tap_harvest_sync.py) syncing only
  time_entries from the same sandbox (counters and writes reset, so the same
  data), and our entries per second as a ratio of its.

Last full run, 2026-12-04 (1,000,000 entries, load average 1.39 -> 3.16):
  per-page time, unthrottled 115 ms (first 10 pages 116, last 10 114)
  full refresh 73.5 s = 1.028 x the bound 71.5 s (bound / time 0.973), 0 x 429,
    500 requests; pages in the walk 86-95 ms (median per window)
  13,600 entries/s; tap-harvest 2,571 entries/s (389.0 s for 1M) -> 5.3 x
  worker peak RSS 301 MB (159 MB idle; the peak is the final copy)
  nothing changed: 2 requests with the sandbox's running timer in the mirror,
    1 request with no timer running; storing 2,000 records 37 ms (spool) /
    85 ms (one-page version)
The ratio to the bound moves with the shared machine's load: 1.03-1.14 over six
1M runs that day (see the TODO on SpoolWriter in datasources/storage.py).
"""

import argparse
import itertools
import math
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.datasources.worker_harness import ACCOUNT_ID, WorkerStack

PER_PAGE = 2000
LIMIT, WINDOW = 100, 15.0
QUICK_ENTRIES = 20_000
# The sandbox's OAuth app and a redirect it accepts, for tap-harvest's tokens.
TAP_CLIENT = ("harvestdash-demo", "harvestdash-demo-secret")
TAP_REDIRECT = "http://127.0.0.1:8000/connections/harvest/callback/"
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
    moments = _request_stamps(stack, "/api/v2/time_entries")[-requests:]
    gaps = [moments[i] - moments[i - LIMIT] for i in range(LIMIT, len(moments))]
    # Between requests in a row (the limiter's waits left out): what a page
    # took in the walk, early and in the last window, whose pages add up.
    steps = [b - a for a, b in itertools.pairwise(moments)]
    windows = [
        steps[start : start + LIMIT - 1] for start in range(0, len(steps), LIMIT)
    ]
    in_walk = (
        "page to page, median per window of "
        + str(LIMIT)
        + ": "
        + " ".join(
            f"{statistics.median(window) * 1000:.0f}" for window in windows if window
        )
    )
    if windows and windows[-1]:
        in_walk += f" ms (last window's mean {statistics.mean(windows[-1]) * 1000:.0f})"
    if not gaps:
        return f"fewer than LIMIT requests; {in_walk}"
    return (
        f"request i - request i-{LIMIT}: min {min(gaps):.2f} s, median "
        f"{statistics.median(gaps):.2f} s, max {max(gaps):.2f} s; {in_walk}"
    )


def _cpu_seconds(pid: int) -> float:
    """User + system CPU the process used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _sample_walk(client, url: str, pages: int, spool_path: Path) -> tuple[list, object]:
    """Seconds per page fetching and spooling `pages` pages from `url` exactly as a
    refresh does it (the spool fed from its thread, the last page sealing it)."""
    from datasources.storage import Spool, SpoolWriter

    timings, first_page = [], None
    writer = SpoolWriter(Spool(spool_path))
    started = time.perf_counter()
    for page in client.iter_pages(url):
        writer.write(page.records)
        first_page = first_page or page
        if len(timings) + 1 == pages:
            writer.close()
        timings.append(time.perf_counter() - started)
        started = time.perf_counter()
        if len(timings) == pages:
            break
    return timings, first_page


def _unthrottled_page_seconds(
    stack: WorkerStack, source_id: int, pages: int, total_pages: int
):
    """Mean time to fetch and spool one page, with every limit lifted, over the
    first and the last `pages` pages (old entries are a little larger)."""
    from pyrate_limiter import Duration, Rate

    from connectors.harvest.client import HarvestClient
    from connectors.ratelimit import HarvestRateLimiter, store_from_url
    from datasources.models import DataSource
    from datasources.storage import Spool, write_version

    source = DataSource.objects.select_related("connection").get(pk=source_id)
    store = store_from_url(f"sqlite:///{stack.data_dir / 'unthrottled.sqlite3'}")
    lifted = Rate(10**6, Duration.SECOND * 15)
    limiter = HarvestRateLimiter(store, rates={"general": lifted, "reports": lifted})
    client = HarvestClient(source.connection, ACCOUNT_ID, limiter=limiter)
    stack.knobs(general_limit=10**6)

    with tempfile.TemporaryDirectory() as folder:
        first, sample_page = _sample_walk(
            client, "/v2/time_entries", pages, Path(folder) / "first.ndjson"
        )
        last_start = max(1, total_pages - pages + 1)
        last, _ = _sample_walk(
            client,
            f"/v2/time_entries?page={last_start}",
            pages,
            Path(folder) / "last.ndjson",
        )

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
        (statistics.mean(first), statistics.mean(last)),
        statistics.median(spool_ms),
        statistics.median(store_ms),
        len(sample_page.records),
    )


def _refresh_requests(stack: WorkerStack, source_id: int) -> tuple[dict, float]:
    """One refresh: the requests it sent per collection, and its seconds."""
    from datasources.models import RefreshRun

    log_mark = len(_sandbox_requests(stack))
    run = RefreshRun.objects.get(pk=stack.queue(source_id))
    finished = stack.wait_for_run(run.pk)
    if finished["status"] != "succeeded":
        raise RuntimeError(f"refresh failed: {finished['error']}")
    run.refresh_from_db()
    per_collection: dict[str, int] = {}
    for path, _status in _sandbox_requests(stack)[log_mark:]:
        per_collection[path] = per_collection.get(path, 0) + 1
    return dict(sorted(per_collection.items())), run.duration_ms / 1000


def _running_timers(stack: WorkerStack) -> list[int]:
    """Ids of the running time entries the mirror holds."""
    import duckdb

    from datasources.models import Mirror

    path = stack.data_dir / "media" / Mirror.objects.get().file_name
    connection = duckdb.connect()
    try:
        query = "SELECT id FROM read_parquet($p) WHERE is_running ORDER BY id"
        rows = connection.execute(query, {"p": str(path)}).fetchall()
        return [row[0] for row in rows]
    finally:
        connection.close()


def _harvest_write(stack: WorkerStack, method: str, path: str) -> None:
    """A write to the sandbox's API as a Harvest user would make it, waiting out
    a 429 (the refreshes just used the window)."""
    import requests

    for _attempt in range(10):
        answer = requests.request(
            method,
            f"{stack.sandbox_url}/api{path}",
            headers={
                "Authorization": "Bearer sandbox-demo-pat",
                "Harvest-Account-Id": str(ACCOUNT_ID),
                "User-Agent": "HarvestDash bench (bench@example.com)",
            },
            timeout=30,
        )
        if answer.status_code != 429:
            answer.raise_for_status()
            return
        time.sleep(int(answer.headers.get("Retry-After", "1")))
    raise RuntimeError(f"{method} {path} stayed throttled")


def _sandbox_tokens(stack: WorkerStack) -> dict:
    """OAuth tokens from the sandbox's consent and token endpoints, as a user
    approving tap-harvest would get them."""
    from urllib.parse import parse_qs, urlsplit

    import requests

    approved = requests.post(
        f"{stack.sandbox_url}/id/oauth2/authorize",
        data={
            "client_id": TAP_CLIENT[0],
            "response_type": "code",
            "redirect_uri": TAP_REDIRECT,
            "decision": "approve",
            "state": "bench",
        },
        allow_redirects=False,
        timeout=30,
    )
    code = parse_qs(urlsplit(approved.headers["Location"]).query)["code"][0]
    tokens = requests.post(
        f"{stack.sandbox_url}/id/api/v2/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": TAP_CLIENT[0],
            "client_secret": TAP_CLIENT[1],
        },
        timeout=30,
    )
    tokens.raise_for_status()
    return tokens.json()


def _tap_harvest(stack: WorkerStack) -> dict:
    """tap-harvest's time_entries stream on the same sandbox and data (still
    enforcing 100 requests / 15 s; the tap stays far below it)."""
    from bench.tap_harvest_sync import (
        START_DATE,
        USER_AGENT,
        TapTarget,
        sync_one_stream,
        tap_python,
    )

    python = tap_python()
    # The data as the full refresh saw it (the timer stop undone), empty
    # counters; tap-harvest takes the first account listed, so list Harvest's.
    _reset_sandbox(stack)
    stack.knobs(accounts="harvest_only")

    def config() -> dict:
        return {
            "refresh_token": _sandbox_tokens(stack)["refresh_token"],
            "client_id": TAP_CLIENT[0],
            "client_secret": TAP_CLIENT[1],
            "start_date": START_DATE,
            "user_agent": USER_AGENT,
            "request_timeout": 120,
        }

    target = TapTarget(f"{stack.sandbox_url}/id", f"{stack.sandbox_url}/api", config)
    log_mark = len(_sandbox_requests(stack))
    stamp_mark = len(_request_stamps(stack, "/api/v2/time_entries"))
    with tempfile.TemporaryDirectory(prefix="tap-harvest-") as workdir:
        synced = sync_one_stream(python, target, Path(workdir), "time_entries")
    stamps = _request_stamps(stack, "/api/v2/time_entries")[stamp_mark:]
    sent = _sandbox_requests(stack)[log_mark:]
    return {
        "records": synced.records,
        # From its first time_entries request to its exit: the stream alone.
        "seconds": synced.finished_at - stamps[0],
        "wall_seconds": synced.finished_at - synced.started_at,
        "requests": sum(1 for path, _ in sent if path == "/api/v2/time_entries"),
        "throttled": sum(1 for _, status in sent if status == 429),
    }


def _request_stamps(stack: WorkerStack, path: str) -> list[float]:
    """When the sandbox logged each GET of `path` (time.time() seconds)."""
    from datetime import datetime

    stamps = re.compile(
        r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) .*method=GET "
        rf"path={re.escape(path)}[?\s]"
    )
    return [
        datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()
        for line in stack.log("sandbox").splitlines()
        if (match := stamps.search(line))
    ]


def _reset_sandbox(stack: WorkerStack) -> None:
    import urllib.request

    url = f"{stack.sandbox_url}/_sandbox/reset"
    request = urllib.request.Request(url, method="POST")  # noqa: S310 (our sandbox)
    urllib.request.urlopen(request, timeout=10).read()  # noqa: S310 (our sandbox)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--sample-pages", type=int, default=10)
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"a quick check: {QUICK_ENTRIES:,} entries (tap-harvest included)",
    )
    parser.add_argument(
        "--no-tap", action="store_true", help="leave tap-harvest out (~9 min at 1M)"
    )
    args = parser.parse_args()
    if args.quick:
        args.entries = QUICK_ENTRIES
    load_before = os.getloadavg()

    with tempfile.TemporaryDirectory() as folder:
        stack = WorkerStack(
            data_dir=Path(folder),
            sandbox_entries=args.entries,
            lease_seconds=1800,
            full_pass_hours=24,
            pool="solo",
            # Data up to yesterday: the generator stamps a day's entries up to
            # 12:00 of it, and today's would be updated "in the future", so a
            # refresh with nothing changed would still bring them every time.
            sandbox_today=date.today() - timedelta(days=1),
        )
        stack.start()
        try:
            return _bench(stack, args, load_before)
        finally:
            stack.stop()


def _bench(stack: WorkerStack, args, load_before: tuple) -> int:
    _setup_django(stack)
    source_id = stack.create_source()
    pages = math.ceil(args.entries / PER_PAGE)
    sampled, spool_ms, store_ms, store_rows = _unthrottled_page_seconds(
        stack, source_id, min(args.sample_pages, pages), pages
    )
    page_seconds = statistics.mean(sampled)
    log_mark = len(_sandbox_requests(stack))
    rss_idle = _peak_rss_mb(stack.worker.pid)

    from datasources.models import Mirror, RefreshRun

    run = RefreshRun.objects.get(pk=stack.queue(source_id))
    cpu_before = _cpu_seconds(stack.worker.pid)
    with RssSampler(stack.worker.pid) as rss_timeline:
        finished = stack.wait_for_run(run.pk, timeout=7200)
    worker_cpu = _cpu_seconds(stack.worker.pid) - cpu_before
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

    # Nothing changed, as the data comes (the sandbox always has one timer
    # running, whose hours grow without a new updated_at), then with every
    # running timer stopped in Harvest (one refresh brings the stops).
    running = _running_timers(stack)
    unchanged_running = _refresh_requests(stack, source_id)
    for entry_id in running:
        _harvest_write(stack, "PATCH", f"/v2/time_entries/{entry_id}/stop")
    stops = _refresh_requests(stack, source_id)
    still_running = _running_timers(stack)
    unchanged_stopped = _refresh_requests(stack, source_id)
    mirror = Mirror.objects.get()
    tap = None if args.no_tap else _tap_harvest(stack)
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
        f"per-page time, unthrottled   {page_seconds * 1000:.0f} ms (fetch + spool; "
        f"first {min(args.sample_pages, pages)} pages {sampled[0] * 1000:.0f} ms, "
        f"last {min(args.sample_pages, pages)} {sampled[1] * 1000:.0f} ms)"
    )
    print(
        f"bound                        {bound:.1f} s ({pages} requests in a row, "
        f"{page_seconds:.3f} s each, at most {LIMIT} per {WINDOW:.0f} s)"
    )
    print(
        f"full refresh                 {seconds:.1f} s = {seconds / bound:.3f} x bound "
        f"(bound / time = {bound / seconds:.3f}; target >= 0.95)"
    )
    print(f"entries per second           {args.entries / seconds:,.0f}")
    print(f"requests used                {run.requests} (sandbox saw {len(sent)})")
    print(f"429s received                {throttled}")
    print(f"pacing                       {pacing}")
    print(
        f"worker CPU                   {worker_cpu:.1f} s = "
        f"{worker_cpu / pages * 1000:.0f} ms per page (all its threads)"
    )
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
        f"nothing changed, {len(running)} timer running in the mirror: "
        f"{unchanged_running[0]} in {unchanged_running[1]:.1f} s"
    )
    print(
        f"timers stopped in Harvest:   {stops[0]} in {stops[1]:.1f} s "
        f"(running afterwards in the mirror: {len(still_running)})"
    )
    print(
        f"nothing changed, no timer running: {unchanged_stopped[0]} in "
        f"{unchanged_stopped[1]:.1f} s (target <= 1 request per collection)"
    )
    print(
        f"storing {store_rows:,} records        {spool_ms:.0f} ms per page in a refresh "
        f"(flatten + NDJSON, median of 5, on a thread of its own while the next "
        f"page is fetched); {store_ms:.0f} ms as a one-page version "
        "(+ Parquet + file + row, median of 5)"
    )
    if tap is not None:
        tap_rate = tap["records"] / tap["seconds"]
        print(
            f"tap-harvest time_entries     {tap['records']:,} entries in "
            f"{tap['seconds']:.1f} s = {tap_rate:,.0f} entries/s (first request to "
            f"exit; {tap['wall_seconds']:.1f} s with start-up), {tap['requests']} "
            f"requests, {tap['throttled']} x 429"
        )
        print(
            f"entries/s vs tap-harvest     {args.entries / seconds / tap_rate:.1f} x "
            "(target >= 5 x)"
        )
    load_after = os.getloadavg()
    print(
        "load average                 "
        + " -> ".join(
            ", ".join(f"{v:.2f}" for v in load) for load in (load_before, load_after)
        )
        + " (1, 5, 15 min; before -> after)"
    )
    return 0 if tap is None or tap["records"] == args.entries else 1


if __name__ == "__main__":
    sys.exit(main())
