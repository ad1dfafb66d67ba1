"""Canary tokens end to end: with DEBUG logs on every logger, a forced exception
inside the client and a 500 page, the tokens appear nowhere but the encrypted
columns (real web and worker processes, their logs, files, database, broker)."""

import json
import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bench.ratelimit_stack import WorkersStack, stack_for_tests, start_web
from sandbox.server import RunningSandbox, run_in_thread

pytestmark = pytest.mark.slow

PAT_CANARY = f"canarypat{secrets.token_hex(12)}"
ACCESS_CANARY = f"canaryaccess{secrets.token_hex(12)}"
REFRESH_CANARY = f"canaryrefresh{secrets.token_hex(12)}"
CANARIES = (PAT_CANARY, ACCESS_CANARY, REFRESH_CANARY)
ENCRYPTED_COLUMNS = {"access_token", "refresh_token"}
SOURCES = """
import json
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.utils import timezone
from connectors.models import Connection
from datasources.models import DataSource
user = get_user_model().objects.get(email="demo@harvestdash.local")
pat = Connection.objects.get(owner=user, auth_kind="pat")
oauth = Connection.objects.create(
    workspace=pat.workspace, owner=user, name="Expired@Harvest", auth_kind="oauth",
    access_token=%(access)r, refresh_token=%(refresh)r,
    expires_at=timezone.now() + timedelta(days=5), accounts=pat.accounts,
)
ids = [
    DataSource.objects.create(
        workspace=pat.workspace, owner=user, connection=connection, name=name,
        account_id=4411001, query_url="/v2/time_entries", refresh_minutes=None,
    ).pk
    for connection, name in ((pat, "With the PAT"), (oauth, "With OAuth"))
]
print(json.dumps(ids))
"""
SESSIONS = """
from django.contrib.sessions.models import Session
for session in Session.objects.all():
    print(session.get_decoded())
"""


@pytest.fixture(scope="module")
def sb() -> Iterator[RunningSandbox]:
    running = run_in_thread(entries=300, general_limit=1000, pat=PAT_CANARY)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def stack(sb: RunningSandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    started = stack_for_tests(
        tmp_path_factory.mktemp("canary"),
        sb,
        log_level="DEBUG",
        extra_env={
            "DJANGO_SETTINGS_MODULE": "tests.connectors.test_canary_settings",
            "HARVESTDASH_CANARY_PROCESS": "1",
            # Django's debug 500 page (the development default) prints frame
            # variables: the harsher case for the page than production's.
            "DEBUG": "true",
        },
    )
    try:
        started.manage("create_demo_user")
        start_web(started)
        yield started
    finally:
        started.stop()


def _logged_in(stack: WorkersStack) -> requests.Session:
    browser = requests.Session()
    browser.get(f"{stack.url}/accounts/login/", timeout=30)
    browser.post(
        f"{stack.url}/accounts/login/",
        data={
            "login": "demo@harvestdash.local",
            "password": "harvest-demo",
            "csrfmiddlewaretoken": browser.cookies["csrftoken"],
        },
        timeout=30,
    )
    return browser


def _post(browser: requests.Session, url: str, data: dict) -> requests.Response:
    page = browser.get(url, timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    return browser.post(
        url,
        data={**data, "csrfmiddlewaretoken": token.group(1)},
        timeout=60,
        allow_redirects=False,
    )


def _forced_failure(stack: WorkersStack, on: bool) -> None:
    flag = stack.data_dir / "force-client-failure"
    flag.touch() if on else flag.unlink(missing_ok=True)


def _files_holding(root: Path, needles: tuple[str, ...]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            hits = [n for n in needles if n.encode() in data]
            if hits:
                found[str(path.relative_to(root))] = hits
    return found


def _database_rows(stack: WorkersStack) -> str:
    """Every row of every table as text, but the encrypted token columns."""
    if stack.database_name:
        tables = [
            row[0]
            for row in stack.sql(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            )
        ]
        columns_sql = (
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?"
        )
        columns_of = {t: [r[0] for r in stack.sql(columns_sql, t)] for t in tables}
    else:
        tables = [
            row[0]
            for row in stack.sql("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        columns_of = {
            t: [r[1] for r in stack.sql(f'PRAGMA table_info("{t}")')] for t in tables
        }
    dump = []
    for table, columns in columns_of.items():
        kept = [c for c in columns if c not in ENCRYPTED_COLUMNS]
        select = ", ".join(f'"{c}"' for c in kept)
        dump.extend(repr(row) for row in stack.sql(f'SELECT {select} FROM "{table}"'))  # noqa: S608
    return "\n".join(dump)


def _redis_values(stack: WorkersStack) -> str:
    if not os.environ.get("REDIS_URL"):
        return ""
    import redis

    client = redis.Redis.from_url(stack.env()["REDIS_URL"])
    values = []
    for key in client.scan_iter():
        kind = client.type(key).decode()
        if kind == "string":
            values.append(repr(client.get(key)))
        elif kind == "list":
            values.append(repr(client.lrange(key, 0, -1)))
        elif kind == "hash":
            values.append(repr(client.hgetall(key)))
        elif kind == "zset":
            values.append(repr(client.zrange(key, 0, -1)))
        values.append(repr(key))
    return "\n".join(values)


def test_canary_tokens_appear_nowhere_but_the_encrypted_columns(
    sb: RunningSandbox, stack: WorkersStack
) -> None:
    browser = _logged_in(stack)
    connected = _post(
        browser, f"{stack.url}/connections/harvest/token/", {"token": PAT_CANARY}
    )
    assert connected.status_code == 302, connected.text[:500]
    connection_id = int(connected.headers["Location"].rstrip("/").split("/")[-1])

    # A forced exception inside the client during a web request: a 500 page.
    _forced_failure(stack, on=True)
    error_page = browser.get(
        f"{stack.url}/connections/{connection_id}/accounts/", timeout=60
    )
    _forced_failure(stack, on=False)

    # Worker refreshes: one fine, one on an expired OAuth token whose refresh
    # Harvest refuses, then both again through 5xx retries and the forced error.
    source_ids = json.loads(
        stack.manage(
            "shell",
            "-c",
            SOURCES % {"access": ACCESS_CANARY, "refresh": REFRESH_CANARY},
        ).splitlines()[-1]
    )
    first = stack.wait_for_runs(stack.queue(source_ids), timeout=120)
    sb.knobs.update({"fail_5xx": 2, "html_200": 1})
    html_run = stack.wait_for_runs(stack.queue(source_ids[:1]), timeout=120)
    _forced_failure(stack, on=True)
    forced_run = stack.wait_for_runs(stack.queue(source_ids[:1]), timeout=120)
    _forced_failure(stack, on=False)

    statuses = [status for status, _ in first.values()]
    assert sorted(statuses) == ["failed", "succeeded"], first
    assert [s for s, _ in html_run.values()] == ["failed"]
    assert [s for s, _ in forced_run.values()] == ["failed"]
    assert error_page.status_code == 500
    assert "forced failure under the Harvest client" in error_page.text  # debug page
    worker_logs = stack.log("worker1") + stack.log("worker2")
    assert "forced failure under the Harvest client" in worker_logs
    assert "forced failure under the Harvest client" in stack.log("web")
    # urllib3's DEBUG lines (Celery's format drops the logger name) and the
    # refused refresh at the token endpoint were logged.
    assert "Starting new HTTP connection" in worker_logs
    assert '"POST /id/api/v2/oauth2/token HTTP/1.1" 400' in worker_logs

    for canary in CANARIES:
        assert canary not in error_page.text
        assert canary not in worker_logs
        assert canary not in stack.log("web")
        assert canary not in _database_rows(stack)
        assert canary not in stack.manage("shell", "-c", SESSIONS)
        assert canary not in _redis_values(stack)
    assert _files_holding(stack.data_dir, CANARIES) == {}
    assert PAT_CANARY in _encrypted_tokens(stack, connection_id)


def _encrypted_tokens(stack: WorkersStack, connection_id: int) -> str:
    """The connection's tokens as the app reads them: proof the canary is stored."""
    code = (
        "from connectors.models import Connection; "
        f"print(Connection.objects.get(pk={connection_id}).access_token)"
    )
    return stack.manage("shell", "-c", code)
