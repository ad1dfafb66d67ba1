"""Connections, recorded Harvest JSON and a private rate-limit store per test."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from connectors.models import Connection
from connectors.ratelimit import (
    HarvestRateLimiter,
    SQLiteStore,
    interactive_limiter,
    shared_limiter,
)
from tests.harvest_reference import fixtures_dir

FIXTURES = fixtures_dir()
API = "https://api.harvestapp.com"
ID = "https://id.getharvest.com"
CANARY = "canary-7f3e9a1d-token-must-never-leak"


def fixture_json(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture(autouse=True)
def harvest_settings(settings, tmp_path):
    settings.HARVEST_API_BASE = API
    settings.HARVEST_ID_BASE = ID
    settings.HARVEST_CLIENT_ID = "client-id"
    settings.HARVEST_CLIENT_SECRET = "client-secret"
    settings.HARVEST_CONTACT = "ops@example.com"
    settings.REDIS_URL = ""
    settings.DATA_DIR = tmp_path
    settings.RATE_LIMIT_STORE = f"sqlite:///{tmp_path / 'ratelimit.sqlite3'}"
    shared_limiter.cache_clear()
    interactive_limiter.cache_clear()
    yield settings
    shared_limiter.cache_clear()
    interactive_limiter.cache_clear()


@pytest.fixture
def sleeps() -> list[float]:
    """Every sleep the client and its limiter asked for (none really happen)."""
    return []


@pytest.fixture
def limiter(tmp_path, sleeps) -> HarvestRateLimiter:
    store = SQLiteStore(str(tmp_path / "rl-unit.sqlite3"))
    return HarvestRateLimiter(store, sleep=sleeps.append)


def make_connection(owner, workspace, **fields) -> Connection:
    values = {
        "name": "Dana Reyes@Harvest",
        "auth_kind": Connection.AuthKind.OAUTH,
        "access_token": CANARY,
        "refresh_token": "refresh-" + CANARY,
        "expires_at": timezone.now() + timedelta(days=10),
        "accounts": fixture_json("accounts.json")["accounts"],
    }
    values.update(fields)
    return Connection.objects.create(workspace=workspace, owner=owner, **values)


@pytest.fixture
def connection(owner, workspace) -> Connection:
    return make_connection(owner, workspace)


@pytest.fixture
def pat_connection(owner, workspace) -> Connection:
    return make_connection(
        owner,
        workspace,
        auth_kind=Connection.AuthKind.PERSONAL_TOKEN,
        refresh_token="",
        expires_at=None,
    )
