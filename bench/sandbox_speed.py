"""How fast the sandbox serves pages of 2,000 time entries, and how much memory a
full walk needs. Starts `python -m sandbox` as its own process.

    .venv/bin/python bench/sandbox_speed.py                  # speed, 1M entries
    .venv/bin/python bench/sandbox_speed.py --walk           # + walk every page, peak RSS
"""

import argparse
import logging
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import orjson
import requests

logger = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[1]
HEADERS = {
    "Authorization": "Bearer sandbox-demo-pat",
    "Harvest-Account-Id": "4411001",
    "User-Agent": "HarvestDash bench (bench@example.com)",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_sandbox(entries: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox",
            "--port",
            str(port),
            "--entries",
            str(entries),
            "--log-level",
            "WARNING",
        ],
        cwd=REPO,
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(base_url + "/_sandbox/health", timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    # The bench measures serving speed, not Harvest's 100 requests / 15 s limit.
    requests.post(
        base_url + "/_sandbox/knobs", json={"general_limit": 10**9}, timeout=5
    )
    return process, base_url


def memory_kib(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])
    return fields


def time_pages(session: requests.Session, api: str, entries: int, pages: int) -> list:
    total_pages = max(1, entries // 2000)
    timings = []
    for n in range(pages):
        page = 1 + (n * 7919) % total_pages  # spread over the whole range
        started = time.perf_counter()
        response = session.get(
            f"{api}/v2/time_entries?page={page}&per_page=2000",
            headers=HEADERS,
            timeout=60,
        )
        body = response.content
        timings.append((time.perf_counter() - started, len(body)))
        assert response.status_code == 200, response.status_code
    return timings


def walk_all(session: requests.Session, api: str) -> tuple[int, int, float]:
    url = f"{api}/v2/time_entries?per_page=2000"
    pages = records = 0
    started = time.perf_counter()
    while url:
        data = orjson.loads(session.get(url, headers=HEADERS, timeout=60).content)
        pages += 1
        records += len(data["time_entries"])
        url = data["links"]["next"]
    return pages, records, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--pages", type=int, default=30)
    parser.add_argument(
        "--walk", action="store_true", help="walk every page, report RSS"
    )
    args = parser.parse_args()

    process, base_url = start_sandbox(args.entries)
    session = requests.Session()
    try:
        print(
            f"sandbox entries={args.entries} rss_after_start_kib="
            f"{memory_kib(process.pid)['VmRSS']}"
        )
        timings = time_pages(session, base_url + "/api", args.entries, args.pages)
        ms = [t * 1000 for t, _ in timings]
        median = statistics.median(ms)
        print(
            f"page of 2000 time entries: median_ms={median:.1f} min_ms={min(ms):.1f} "
            f"max_ms={max(ms):.1f} bytes={timings[0][1]} "
            f"entries_per_s={2000 / (median / 1000):,.0f}"
        )
        if args.walk:
            pages, records, seconds = walk_all(session, base_url + "/api")
            mem = memory_kib(process.pid)
            print(
                f"walk: pages={pages} records={records} seconds={seconds:.1f} "
                f"entries_per_s={records / seconds:,.0f} "
                f"peak_rss_mib={mem['VmHWM'] / 1024:.1f} rss_mib={mem['VmRSS'] / 1024:.1f}"
            )
    finally:
        process.terminate()
        process.wait(timeout=10)


if __name__ == "__main__":
    main()
