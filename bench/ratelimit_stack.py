"""Real Celery workers refreshing data sources against an in-process sandbox.

Used by tests/connectors/test_workers_*.py and bench/ratelimit_workers.py. The
sandbox runs in the calling process (so its request log, tokens and knobs are
at hand); the workers are `celery -A harvestdash worker` processes started like
tests/e2e/stack.py starts them, on the run's backend: PostgreSQL + Redis when
DATABASE_URL / REDIS_URL are set, SQLite + the filesystem broker otherwise.
"""

import json
import os
import secrets
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from sandbox.server import LoggedRequest, RunningSandbox  # noqa: E402
from tests.e2e.stack import BIN, Stack, wait_for_http  # noqa: E402

ACCOUNT_ID = 4411001
# Query URLs the refresh engine fetches page by page (no collection mirror:
# updated_since is a parameter the mirrors do not model).
DIRECT_QUERY = "/v2/time_entries?per_page={per_page}&updated_since=2000-01-01T00:00:00Z"

SETUP = """
import json
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.utils import timezone
from connectors.models import Connection
from datasources.models import DataSource
from workspaces.models import Workspace
spec = json.loads(%(spec)r)
user = get_user_model().objects.create_user(
    username="workers@example.com", email="workers@example.com", password="pw-workers-1"
)
workspace = Workspace.objects.get(membership__user=user)
connection = Connection.objects.create(
    workspace=workspace, owner=user, name="Sandbox@Harvest",
    auth_kind=spec["auth_kind"], access_token=spec["access_token"],
    refresh_token=spec["refresh_token"],
    expires_at=timezone.now() + timedelta(days=10) if spec["auth_kind"] == "oauth" else None,
    accounts=[{"id": spec["account"], "name": "Sandbox", "product": "harvest"}],
)
ids = [
    DataSource.objects.create(
        workspace=workspace, owner=user, connection=connection, name=f"Source {n}",
        account_id=spec["account"], query_url=query_url, refresh_minutes=None,
    ).pk
    for n, query_url in enumerate(spec["queries"])
]
print(json.dumps({"connection": connection.pk, "sources": ids}))
"""
QUEUE = """
import json
from datasources.models import DataSource
from datasources.refresh import queue_refresh
ids = json.loads(%(ids)r)
print(json.dumps([queue_refresh(DataSource.objects.get(pk=i)).pk for i in ids]))
"""


@dataclass
class WorkersStack(Stack):
    rate_limit_scale: float = 1.0
    worker_count: int = 2
    concurrency: int = 2
    log_level: str = "INFO"
    extra_env: dict[str, str] = field(default_factory=dict)
    # A Redis database of its own: workers of another stack (e2e uses db 7)
    # must not take this stack's tasks.
    redis_db: int = field(default_factory=lambda: secrets.choice(range(8, 16)))

    def env(self) -> dict[str, str]:
        env = super().env()
        if env.get("REDIS_URL"):
            env["REDIS_URL"] = env["REDIS_URL"].rsplit("/", 1)[0] + f"/{self.redis_db}"
        env.update(
            HARVEST_RATE_LIMIT_SCALE=repr(self.rate_limit_scale),
            LOG_LEVEL=self.log_level,
            **self.extra_env,
        )
        return env

    def start_on(self, sb: RunningSandbox) -> "WorkersStack":
        """Migrate a fresh database, then start the workers against `sb`."""
        self.sandbox_port = int(sb.base_url.rsplit(":", 1)[1])
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._create_database()
        self._flush_redis()
        self.manage("migrate", "--no-input")
        for number in range(1, self.worker_count + 1):
            self._spawn(f"worker{number}", self._worker_args(number))
        for number in range(1, self.worker_count + 1):
            self._wait_ready(f"worker{number}")
        return self

    def _worker_args(self, number: int) -> list[str]:
        return [
            str(BIN / "celery"),
            "-A",
            "harvestdash",
            "worker",
            "--loglevel",
            self.log_level,
            "--concurrency",
            str(self.concurrency),
            "--hostname",
            f"worker{number}@%h",
            "--without-gossip",
            "--without-mingle",
        ]

    def _wait_ready(self, name: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while "ready." not in self.log(name):
            if self.processes[name].poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start:\n{self.log(name)[-3000:]}")
            time.sleep(0.2)

    # Data ----------------------------------------------------------------------

    def create_sources(
        self,
        queries: list[str],
        access_token: str,
        refresh_token: str = "",
        auth_kind: str = "pat",
    ) -> dict:
        spec = {
            "auth_kind": auth_kind,
            "access_token": access_token,
            "refresh_token": refresh_token,
            "account": ACCOUNT_ID,
            "queries": queries,
        }
        output = self.manage("shell", "-c", SETUP % {"spec": json.dumps(spec)})
        return json.loads(output.strip().splitlines()[-1])

    def queue(self, source_ids: list[int]) -> list[int]:
        output = self.manage("shell", "-c", QUEUE % {"ids": json.dumps(source_ids)})
        return json.loads(output.strip().splitlines()[-1])

    def sql(self, query: str, *params: object) -> list[tuple]:
        if self.database_name:
            import psycopg

            base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
            with psycopg.connect(f"{base}/{self.database_name}") as conn:
                return conn.execute(query.replace("?", "%s"), params).fetchall()
        with sqlite3.connect(self.data_dir / "harvestdash.sqlite3", timeout=20) as db:
            return db.execute(query, params).fetchall()

    def runs(self, run_ids: list[int]) -> dict[int, tuple[str, str]]:
        marks = ",".join("?" * len(run_ids))
        rows = self.sql(
            f"SELECT id, status, error FROM datasources_refreshrun WHERE id IN ({marks})",  # noqa: S608
            *run_ids,
        )
        return {row[0]: (row[1], row[2]) for row in rows}

    def wait_for_runs(self, run_ids: list[int], timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            runs = self.runs(run_ids)
            done = [r for r in runs.values() if r[0] in {"succeeded", "failed"}]
            if len(done) == len(run_ids):
                return runs
            if time.monotonic() > deadline:
                raise TimeoutError(f"runs not finished after {timeout} s: {runs}")
            time.sleep(0.5)


def api_requests(sb: RunningSandbox) -> list[LoggedRequest]:
    """Requests that reached the general API (not the id side, not reports)."""
    return [
        r
        for r in list(sb.requests)
        if r.path.startswith("/api/v2/") and not r.path.startswith("/api/v2/reports/")
    ]


def achieved_ratio(requests: list[LoggedRequest], limit: int, window: float) -> float:
    """The rate reached while requests queue up, as a share of the limit.

    With a sliding window the best a client can do is `limit` requests per
    `window`: request k + limit arrives exactly `window` after request k. The
    typical (median) span of `limit` consecutive accepted requests, against
    `window`, is that share (1.0: exactly at the limit). The median leaves out
    the ramp-up and the tail, where workers run out of work rather than slots.
    """
    times = sorted(r.at for r in requests if r.status == 200)
    spans = sorted(times[k + limit] - times[k] for k in range(len(times) - limit))
    return window / spans[len(spans) // 2]


def overall_ratio(requests: list[LoggedRequest], limit: int, window: float) -> float:
    """The same share over the whole run, counting the first window as a burst."""
    times = sorted(r.at for r in requests if r.status == 200)
    ideal = (len(times) - limit) / limit * window
    return ideal / (times[-1] - times[0])


def stack_for_tests(
    tmp_dir: Path, sb: RunningSandbox, **options: object
) -> WorkersStack:
    """A started WorkersStack; the caller stops it."""
    stack = WorkersStack(data_dir=tmp_dir, **options)  # type: ignore[arg-type]
    try:
        return stack.start_on(sb)
    except BaseException:
        stack.stop()
        raise


def row_counts(stack: WorkersStack, source_ids: list[int]) -> list[int | None]:
    """Rows in each source's current version (None: never refreshed)."""
    counts = []
    for source_id in source_ids:
        rows = stack.sql(
            "SELECT v.row_count FROM datasources_datasource s "
            "LEFT JOIN datasources_dataversion v ON v.id = s.current_version_id "
            "WHERE s.id = ?",
            source_id,
        )
        counts.append(rows[0][0])
    return counts


def start_web(stack: WorkersStack) -> None:
    """runserver for the stack (as tests/e2e/stack.py starts it)."""
    stack._spawn(
        "web",
        [
            str(BIN / "python"),
            "manage.py",
            "runserver",
            f"127.0.0.1:{stack.web_port}",
            "--noreload",
        ],
    )
    wait_for_http(f"{stack.url}/accounts/login/")
