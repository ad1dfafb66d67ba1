"""A 300 MB reply or a huge source: the refresh stops at its cap with "too large",
Python memory stays bounded, and the next source refreshes normally."""

import json
import os
import subprocess
import sys
import threading
import tracemalloc
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from datasources.models import RefreshRun
from tests.e2e.stack import ROOT

from .conftest import make_source, refresh_now, sandbox_connection

HUGE_BYTES = 300 * 1024 * 1024
CHUNK = 1024 * 1024
# The client reads at most 64 MB of one reply; everything else is bounded by a page.
PYTHON_MEMORY_LIMIT = 100 * 1024 * 1024
# A worker process's resident memory may grow by at most this while it refuses a
# 300 MB reply (twice the client's 64 MB cap).
WORKER_RSS_GROWTH_LIMIT_KB = 128 * 1024
WORKER_FETCH = """
from pathlib import Path

from connectors.harvest.client import HarvestClient
from connectors.harvest.errors import TooLarge
from connectors.models import Connection


def peak_kb():
    # VmHWM starts afresh at exec; ru_maxrss would carry the forking parent's.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])


accounts = [{"id": 1, "name": "A", "product": "harvest"}]
connection = Connection(name="c", auth_kind="pat", access_token="t", accounts=accounts)
client = HarvestClient(connection, 1)
before = peak_kb()
try:
    list(client.iter_pages("/v2/reports/time/clients?from=20260101&to=20261120"))
except TooLarge as error:
    print("refused", error.user_message)
print("growth_kb", peak_kb() - before)
"""
SMALL_REPORT = {
    "results": [{"task_id": 1, "task_name": "Design", "total_hours": 2.5}],
    "per_page": 2000,
    "total_pages": 1,
    "total_entries": 1,
    "next_page": None,
    "previous_page": None,
    "page": 1,
    "links": {"first": None, "next": None, "previous": None, "last": None},
}


class HugeHarvest(BaseHTTPRequestHandler):
    """/clients streams 300 MB with no length; /projects declares 300 MB up front."""

    protocol_version = "HTTP/1.0"
    sent: dict[str, int] = {}

    def do_GET(self) -> None:
        if "/reports/time/tasks" in self.path:
            return self._answer(json.dumps(SMALL_REPORT).encode())
        declared = "/reports/time/projects" in self.path
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if declared:
            self.send_header("Content-Length", str(HUGE_BYTES))
        self.end_headers()
        self._stream(self.path.split("?")[0])

    def _stream(self, path: str) -> None:
        record = b'{"id": 1, "notes": "' + b"x" * 200 + b'"},'
        chunk = b'{"results": [' + record * (CHUNK // len(record))
        self.sent[path] = 0
        try:
            while self.sent[path] < HUGE_BYTES:
                self.wfile.write(chunk)
                self.sent[path] += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            return

    def _answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        return


@pytest.fixture
def huge_harvest(settings) -> Iterator[type[HugeHarvest]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), HugeHarvest)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.HARVEST_API_BASE = f"http://127.0.0.1:{server.server_port}/api"
    settings.HARVEST_ID_BASE = f"http://127.0.0.1:{server.server_port}/id"
    yield HugeHarvest
    server.shutdown()
    server.server_close()


def _peak_python_memory(action):
    tracemalloc.start()
    try:
        result = action()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_a_300_mb_reply_ends_too_large_within_the_memory_limit(
    owner, workspace, huge_harvest
):
    connection = sandbox_connection(owner, workspace)
    endless = make_source(
        owner,
        workspace,
        connection,
        "/v2/reports/time/clients?from=20260101&to=20261120",
    )
    healthy = make_source(
        owner, workspace, connection, "/v2/reports/time/tasks?from=20260101&to=20261120"
    )

    run, peak = _peak_python_memory(lambda: refresh_now(endless))

    assert run.status == RefreshRun.Status.FAILED
    assert run.error == (
        "Harvest's answer to /v2/reports/time/clients is larger than 64 MB; narrow "
        "the query (a shorter date range or a smaller per_page)."
    )
    assert peak < PYTHON_MEMORY_LIMIT
    # The client hung up: far fewer than 300 MB left the server.
    assert huge_harvest.sent["/api/v2/reports/time/clients"] < HUGE_BYTES / 2
    assert refresh_now(healthy).status == RefreshRun.Status.SUCCEEDED
    assert healthy.current_version.row_count == 1


def test_a_declared_300_mb_reply_is_refused_before_reading(
    owner, workspace, huge_harvest
):
    connection = sandbox_connection(owner, workspace)
    source = make_source(
        owner,
        workspace,
        connection,
        "/v2/reports/time/projects?from=20260101&to=20261120",
    )

    run, peak = _peak_python_memory(lambda: refresh_now(source))

    assert run.status == RefreshRun.Status.FAILED
    assert run.error == (
        "Harvest's answer to /v2/reports/time/projects is larger than 64 MB; narrow "
        "the query (a shorter date range or a smaller per_page)."
    )
    assert peak < 20 * 1024 * 1024


def test_a_huge_source_ends_too_large_and_the_next_source_still_refreshes(
    owner, workspace, sandbox, settings, fast_retries
):
    # Scaled down: the cap is MAX_SOURCE_ROWS (1,000,000 by default); a source of
    # 600 time entries against a cap of 250 takes the same path in a second.
    settings.MAX_SOURCE_ROWS = 250
    connection = sandbox_connection(owner, workspace)
    huge = make_source(owner, workspace, connection, "/v2/time_entries?per_page=100")
    small = make_source(
        owner, workspace, connection, "/v2/reports/time/tasks?from=20260101&to=20261120"
    )

    run = refresh_now(huge)
    next_run = refresh_now(small)

    assert run.status == RefreshRun.Status.FAILED
    assert run.error == (
        "This source is too large: more than 250 records. Narrow its Query URL "
        "(a shorter date range or a filter)."
    )
    assert huge.current_version is None
    assert next_run.status == RefreshRun.Status.SUCCEEDED
    assert small.current_version.row_count == next_run.rows > 0


@pytest.mark.slow
def test_a_worker_process_refusing_300_mb_stays_under_its_memory_limit(
    huge_harvest, settings, tmp_path
):
    env = {
        **os.environ,
        "HARVEST_API_BASE": settings.HARVEST_API_BASE,
        "HARVEST_ID_BASE": settings.HARVEST_ID_BASE,
        "DATA_DIR": str(tmp_path),
        "REDIS_URL": "",
        "DATABASE_URL": "",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)

    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", WORKER_FETCH],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    refused, growth = result.stdout.strip().splitlines()[-2:]
    assert refused == (
        "refused Harvest's answer to /v2/reports/time/clients is larger than 64 MB; "
        "narrow the query (a shorter date range or a smaller per_page)."
    )
    assert 0 < int(growth.split()[1]) < WORKER_RSS_GROWTH_LIMIT_KB
