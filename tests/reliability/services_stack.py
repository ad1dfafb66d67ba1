"""The real processes of tests/e2e/stack.py, plus helpers to read and write their
database through `manage.py shell` and to sign in over HTTP."""

import json
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from tests.e2e.stack import BIN, Stack

DEMO_EMAIL = "demo@harvestdash.local"
DEMO_PASSWORD = "harvest-demo"
PRELUDE = f"""
import json
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.utils import timezone
from connectors.models import Connection
from datasources.models import DataSource, RefreshRun
from klips.models import Dashboard, Klip
from workspaces.models import Workspace
user = get_user_model().objects.get(email="{DEMO_EMAIL}")
workspace = Workspace.objects.filter(membership__user=user).first()
"""


@dataclass
class ServicesStack(Stack):
    # Other stacks (tests/e2e) use Redis database 7; with their workers on the same
    # queue they would take our tasks, so this one picks a database of its own.
    redis_db: int = field(default_factory=lambda: secrets.choice(range(8, 16)))

    def env(self) -> dict[str, str]:
        env = super().env()
        if env.get("REDIS_URL"):
            env["REDIS_URL"] = env["REDIS_URL"].rsplit("/", 1)[0] + f"/{self.redis_db}"
        return env

    def shell(self, code: str) -> object:
        """Runs `code` in the stack's Django; it sets `result`, returned as JSON."""
        output = self.manage(
            "shell", "-c", PRELUDE + code + "\nprint(json.dumps(result))"
        )
        return json.loads(output.strip().splitlines()[-1])

    def start_second_beat(self) -> None:
        self._spawn(
            "beat2",
            [
                str(BIN / "celery"),
                "-A",
                "harvestdash",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(self.data_dir / "beat2-schedule"),
            ],
        )

    def harvest_requests(self) -> int:
        """Requests the sandbox answered on its API, from its request log."""
        return len(re.findall(r"path=/api/", self.log("sandbox")))

    def signed_in_session(self) -> requests.Session:
        session = requests.Session()
        session.get(f"{self.url}/accounts/login/", timeout=30)
        answer = session.post(
            f"{self.url}/accounts/login/",
            data={
                "login": DEMO_EMAIL,
                "password": DEMO_PASSWORD,
                "csrfmiddlewaretoken": session.cookies["csrftoken"],
            },
            timeout=30,
        )
        assert answer.url.startswith(f"{self.url}/dashboards/"), answer.url
        return session


def make_sources(stack: ServicesStack, count: int, due_in_seconds: float) -> list[int]:
    """`count` sources on a 15-minute schedule, due in `due_in_seconds`."""
    return stack.shell(
        f"""
connection, _ = Connection.objects.get_or_create(
    workspace=workspace, owner=user, name="Sandbox PAT",
    defaults=dict(auth_kind="pat", access_token="sandbox-demo-pat",
                  accounts=[{{"id": 4411001, "name": "S", "product": "harvest"}}]),
)
due = timezone.now() + timedelta(seconds={due_in_seconds})
paths = ["/v2/users/me", "/v2/company", "/v2/roles"]
result = [
    DataSource.objects.create(
        workspace=workspace, owner=user, connection=connection, name=f"S{{n}}",
        account_id=4411001, query_url=paths[n % 3], refresh_minutes=15,
        next_run_at=due,
    ).pk
    for n in range({count})
]
"""
    )


def runs_by_source(stack: ServicesStack, source_ids: list[int]) -> dict[str, list]:
    return stack.shell(
        f"""
result = {{}}
for run in RefreshRun.objects.filter(source_id__in={source_ids!r}).order_by("pk"):
    result.setdefault(str(run.source_id), []).append([run.status, run.trigger])
"""
    )


def wait_until(check, timeout: float, every: float = 2.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {timeout} s: {check.__doc__}")
        time.sleep(every)


def all_succeeded(stack: ServicesStack, source_ids: list[int]) -> dict | None:
    runs = runs_by_source(stack, source_ids)
    done = [
        source
        for source, source_runs in runs.items()
        if ["succeeded", "schedule"] in source_runs
    ]
    return runs if len(done) == len(source_ids) else None


def log_lines(path: Path, pattern: str) -> int:
    return len(re.findall(pattern, path.read_text(errors="replace")))
