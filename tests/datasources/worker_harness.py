"""A sandbox and a real Celery worker as processes, on a database of their own,
for killing the worker mid-refresh (tests and bench/refresh_kill.py)."""

import hashlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from tests.e2e.stack import BIN, Stack, wait_for_http

ACCOUNT_ID = 4411001
SETUP = """
from django.contrib.auth import get_user_model
from connectors.models import Connection
from datasources.models import DataSource
from workspaces.models import Workspace
user = get_user_model().objects.create_user(
    username="kill@example.com", email="kill@example.com", password="kill-test-pw"
)
workspace = Workspace.objects.get(membership__user=user)
connection = Connection.objects.create(
    workspace=workspace, owner=user, name="Sandbox@Harvest", auth_kind="pat",
    access_token="sandbox-demo-pat",
    accounts=[{"id": %(account)d, "name": "Sandbox", "product": "harvest"}],
)
source = DataSource.objects.create(
    workspace=workspace, owner=user, connection=connection, name="All time",
    account_id=%(account)d, query_url="/v2/time_entries", refresh_minutes=None,
)
print(source.pk)
"""
QUEUE = """
from datasources.models import DataSource
from datasources.refresh import queue_refresh
print(queue_refresh(DataSource.objects.get(pk=%d), trigger="manual").pk)
"""
TICK = """
from datasources.refresh import lock_lease, recover_abandoned_runs
from datasources.storage import sweep_scratch
from django.utils import timezone
sweep_scratch(older_than=lock_lease().total_seconds())
print(recover_abandoned_runs(timezone.now()))
"""


@dataclass
class WorkerStack(Stack):
    # Short leases, so a dead worker's claim lapses within the test; every
    # sync a full pass, so every refresh walks many pages.
    lease_seconds: int = 5
    full_pass_hours: int = 0
    pool: str = "prefork"
    workers_started: int = 0
    # The sandbox's last day of data (its --today); None: the real date.
    sandbox_today: date | None = None

    def env(self) -> dict[str, str]:
        env = super().env()
        env.update(REFRESH_LEASE_SECONDS=str(self.lease_seconds))
        env.update(MIRROR_FULL_PASS_HOURS=str(self.full_pass_hours))
        return env

    def start(self) -> "WorkerStack":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._create_database()
        self._flush_redis()
        self.manage("migrate", "--no-input")
        self._spawn(
            "sandbox",
            [
                str(BIN / "python"),
                "-m",
                "sandbox",
                "--port",
                str(self.sandbox_port),
                "--entries",
                str(self.sandbox_entries),
                "--seed",
                str(self.sandbox_seed),
                *(
                    ["--today", self.sandbox_today.isoformat()]
                    if self.sandbox_today
                    else []
                ),
            ],
        )
        wait_for_http(f"{self.sandbox_url}/_sandbox/health")
        self.start_worker()
        return self

    # Processes ------------------------------------------------------------------

    def start_worker(self) -> None:
        self.workers_started += 1
        name = f"worker{self.workers_started}"
        self._spawn(
            name,
            [
                str(BIN / "celery"),
                "-A",
                "harvestdash",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                "1",
                "--pool",
                self.pool,
                "--without-gossip",
                "--without-mingle",
            ],
        )
        deadline = time.monotonic() + 60
        while "ready." not in self.log(name):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{name} did not start:\n{self.log(name)}")
            time.sleep(0.2)

    @property
    def worker(self) -> subprocess.Popen:
        return self.processes[f"worker{self.workers_started}"]

    def kill_worker(self) -> None:
        """SIGKILL to the worker's whole process group: no cleanup runs."""
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait(timeout=10)

    def knobs(self, **values) -> None:
        request = urllib.request.Request(
            f"{self.sandbox_url}/_sandbox/knobs",
            data=json.dumps(values).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        urllib.request.urlopen(request, timeout=10).read()

    # The database ---------------------------------------------------------------

    def shell(self, code: str) -> str:
        return self.manage("shell", "-c", code).strip()

    def sql(self, query: str, *params) -> list[tuple]:
        """Reads the stack's database directly (a Django shell takes seconds)."""
        if self.database_name:
            import psycopg

            base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
            with psycopg.connect(f"{base}/{self.database_name}") as conn:
                return conn.execute(query.replace("?", "%s"), params).fetchall()
        with sqlite3.connect(self.data_dir / "harvestdash.sqlite3", timeout=20) as db:
            return db.execute(query, params).fetchall()

    def create_source(self) -> int:
        return int(self.shell(SETUP % {"account": ACCOUNT_ID}).splitlines()[-1])

    def queue(self, source_id: int) -> int:
        return int(self.shell(QUEUE % source_id).splitlines()[-1])

    def recover(self) -> list[int]:
        return json.loads(self.shell(TICK).splitlines()[-1])

    def run(self, run_id: int) -> dict:
        status, pages_done, error, version_id = self.sql(
            "SELECT status, pages_done, error, version_id "
            "FROM datasources_refreshrun WHERE id = ?",
            run_id,
        )[0]
        return {
            "status": status,
            "pages_done": pages_done,
            "error": error,
            "version_id": version_id,
        }

    def wait_for_run(self, run_id: int, timeout: float = 120) -> dict:
        deadline = time.monotonic() + timeout
        while (run := self.run(run_id))["status"] not in {"succeeded", "failed"}:
            if time.monotonic() > deadline:
                raise TimeoutError(f"run {run_id} still {run['status']}")
            time.sleep(0.2)
        return run

    def current_version(self, source_id: int) -> dict:
        file_name, row_count = self.sql(
            "SELECT v.file_name, v.row_count FROM datasources_datasource s "
            "JOIN datasources_dataversion v ON v.id = s.current_version_id "
            "WHERE s.id = ?",
            source_id,
        )[0]
        path = self.data_dir / "media" / file_name
        return {
            "file_name": file_name,
            "row_count": row_count,
            "sha256": _sha256(path),
            "rows_in_file": _parquet_rows(path),
        }

    def mirror_file(self) -> tuple[str, str]:
        (file_name,) = self.sql("SELECT file_name FROM datasources_mirror")[0]
        return file_name, _sha256(self.data_dir / "media" / file_name)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _parquet_rows(path: Path) -> int:
    import duckdb

    connection = duckdb.connect()
    try:
        query = "SELECT count(*) FROM read_parquet($p)"
        return connection.execute(query, {"p": str(path)}).fetchone()[0]
    finally:
        connection.close()


def kill_mid_refresh(stack: WorkerStack, source_id: int, rng: random.Random) -> dict:
    """One round: kill the worker at a random page, check, recover, refresh again.

    Returns what happened, for the test's asserts and the bench's report.
    """
    before = stack.current_version(source_id)
    mirror_before = stack.mirror_file()
    kill_at_page = rng.randint(1, 8)
    run_id = stack.queue(source_id)
    deadline = time.monotonic() + 120
    while (run := stack.run(run_id))["pages_done"] < kill_at_page:
        if run["status"] in {"succeeded", "failed"} or time.monotonic() > deadline:
            raise AssertionError(f"run ended before page {kill_at_page}: {run}")
        time.sleep(0.05)
    stack.kill_worker()
    killed = stack.run(run_id)

    after = stack.current_version(source_id)
    mirror_after = stack.mirror_file()
    time.sleep(stack.lease_seconds + 1)
    leftovers = sorted(p.name for p in (stack.data_dir / "tmp").glob("tmp*"))
    recovered = stack.recover()
    swept = sorted(p.name for p in (stack.data_dir / "tmp").glob("tmp*"))
    stack.start_worker()
    next_run_id = stack.queue(source_id)
    next_run = stack.wait_for_run(next_run_id)
    return {
        "kill_at_page": kill_at_page,
        "killed": killed,
        "before": before,
        "after": after,
        "mirror_before": mirror_before,
        "mirror_after": mirror_after,
        "recovered": recovered,
        "scratch_left_by_kill": leftovers,
        "scratch_after_recovery": swept,
        "dead_run": stack.run(run_id),
        "run_id": run_id,
        "next_run": next_run,
        "next_version": stack.current_version(source_id),
    }
