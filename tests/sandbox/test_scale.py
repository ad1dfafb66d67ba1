"""A million time entries: computed per index, walked page by page in little memory."""

import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import orjson
import pytest
import requests

from sandbox.data import Dataset, TimeEntryQuery
from tests.sandbox.conftest import TODAY, harvest_headers
from tests.sandbox.test_cli import REPO, free_port, wait_until_up

MILLION = 1_000_000


def test_a_million_entries_are_computed_not_stored():
    ds = Dataset(42, MILLION, TODAY)

    newest, oldest = ds.time_entry(0), ds.time_entry(MILLION - 1)
    march = ds.select_time_entries(
        TimeEntryQuery(from_=date(2026, 3, 2), to=date(2026, 3, 6))
    )

    assert newest == Dataset(42, MILLION, TODAY).time_entry(0)
    assert newest["spent_date"] == TODAY.isoformat()
    assert date.fromisoformat(oldest["spent_date"]) > TODAY - timedelta(days=365)
    assert ds.get_time_entry(oldest["id"]) == oldest
    assert 15_000 < len(march) < 25_000
    assert {march[0]["spent_date"], march[len(march) - 1]["spent_date"]} == {
        "2026-03-06",
        "2026-03-02",
    }


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


@pytest.mark.slow
def test_walking_every_page_of_a_million_entries_stays_under_300_mb():
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox",
            "--port",
            str(port),
            "--entries",
            str(MILLION),
            "--today",
            TODAY.isoformat(),
            "--log-level",
            "WARNING",
        ],
        cwd=REPO,
    )
    session = requests.Session()
    pages = records = 0
    try:
        wait_until_up(base_url)
        requests.post(
            base_url + "/_sandbox/knobs", json={"general_limit": 10**9}, timeout=10
        )
        url = base_url + "/api/v2/time_entries?per_page=2000"
        while url:
            page = orjson.loads(
                session.get(url, headers=harvest_headers(), timeout=60).content
            )
            pages += 1
            records += len(page["time_entries"])
            url = page["links"]["next"]
        peak = peak_rss_mib(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=10)

    assert (pages, records) == (500, MILLION)
    assert peak < 300
