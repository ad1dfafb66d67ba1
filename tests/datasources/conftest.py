"""A Harvest connection, a source on it, and Harvest pages served by `responses`."""

import json
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from connectors.models import Connection
from connectors.ratelimit import shared_limiter
from datasources.models import DataSource
from tests.harvest_reference import fixtures_dir

FIXTURES = fixtures_dir()
API = "https://api.harvestapp.com"
ID = "https://id.getharvest.com"
ACCOUNT_ID = 1122334
TIME_ENTRIES_THIS_MONTH = "/v2/time_entries?from={{start_of_month}}&to={{end_of_month}}"


def fixture_json(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture(autouse=True)
def isolated_settings(settings, tmp_path):
    settings.HARVEST_API_BASE = API
    settings.HARVEST_ID_BASE = ID
    settings.REDIS_URL = ""
    settings.DATA_DIR = tmp_path
    settings.DATASET_CACHE_DIR = tmp_path / "dataset-cache"
    settings.RATE_LIMIT_STORE = f"sqlite:///{tmp_path / 'ratelimit.sqlite3'}"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }
    # Personas are created in every test; the default hasher is slow on purpose.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    shared_limiter.cache_clear()
    yield settings
    shared_limiter.cache_clear()


def make_connection(owner, workspace, **fields) -> Connection:
    values = {
        "name": "Dana Reyes@Harvest",
        "auth_kind": Connection.AuthKind.PERSONAL_TOKEN,
        "access_token": "test-pat-token",
        "accounts": fixture_json("accounts.json")["accounts"],
    }
    values.update(fields)
    return Connection.objects.create(workspace=workspace, owner=owner, **values)


@pytest.fixture
def connection(owner, workspace) -> Connection:
    return make_connection(owner, workspace)


def make_source(owner, workspace, connection, **fields) -> DataSource:
    values = {
        "name": "Time this month",
        "recipe": "time-entries-this-month",
        "account_id": ACCOUNT_ID,
        "query_url": TIME_ENTRIES_THIS_MONTH,
    }
    values.update(fields)
    return DataSource.objects.create(
        workspace=workspace, owner=owner, connection=connection, **values
    )


@pytest.fixture
def source(owner, workspace, connection) -> DataSource:
    return make_source(owner, workspace, connection)


def time_entry(entry_id: int, hours: float, **extra) -> dict:
    return {
        "id": entry_id,
        "spent_date": "2026-12-01",
        "hours": hours,
        "user": {"id": 7, "name": "Dana Reyes"},
        "project": {"id": 11, "name": "Website"},
        "notes": f"entry {entry_id}",
        **extra,
    }


def paged_body(key: str, pages: list[list[dict]], number: int, path: str) -> dict:
    total = len(pages)
    next_link = (
        f"{API}{path}?page={number + 1}&per_page=2000" if number < total else None
    )
    return {
        key: pages[number - 1],
        "per_page": 2000,
        "total_pages": total,
        "total_entries": sum(len(p) for p in pages),
        "page": number,
        "next_page": number + 1 if number < total else None,
        "previous_page": number - 1 if number > 1 else None,
        "links": {"first": None, "next": next_link, "previous": None, "last": None},
    }


def serve_pages(
    mock: responses.RequestsMock,
    path: str,
    key: str,
    pages: list[list[dict]],
    fail_on_page: int | None = None,
    status: int = 500,
) -> list[str]:
    """Serves `pages` at `path` by their `page` parameter; returns seen URLs."""
    seen: list[str] = []

    def answer(request) -> tuple[int, dict, str]:
        seen.append(request.url)
        number = int(parse_qs(urlsplit(request.url).query).get("page", ["1"])[0])
        if number == fail_on_page:
            return status, {}, json.dumps({"error": "boom"})
        return 200, {}, json.dumps(paged_body(key, pages, number, path))

    mock.add_callback(responses.GET, f"{API}{path}", callback=answer)
    return seen


@pytest.fixture
def harvest() -> Callable:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock
