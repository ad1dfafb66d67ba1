"""Isolated files and a sandbox-backed connection for fault tests."""

from collections.abc import Iterator
from datetime import date

import pytest

from connectors.harvest.client import HarvestClient
from connectors.models import Connection
from connectors.ratelimit import shared_limiter
from datasources.models import DataSource, RefreshRun
from datasources.refresh import refresh_source
from sandbox.server import RunningSandbox, run_in_thread
from tests.sandbox.conftest import make_sandbox_connection

ACCOUNT_ID = 4411001
SANDBOX_TODAY = date(2026, 11, 20)
# Not a mirrored collection: fetched page by page straight into a version.
TASK_REPORT = "/v2/reports/time/tasks?from=20260101&to=20261120&per_page=2"


@pytest.fixture(autouse=True)
def isolated_settings(settings, tmp_path):
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
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    shared_limiter.cache_clear()
    yield settings
    shared_limiter.cache_clear()


@pytest.fixture
def fast_retries(monkeypatch):
    """Retries keep their count; only the waits between them shrink."""
    monkeypatch.setattr(HarvestClient, "backoff_seconds", 0.01)


@pytest.fixture
def sandbox(settings) -> Iterator[RunningSandbox]:
    with run_in_thread(
        seed=42,
        entries=600,
        today=SANDBOX_TODAY,
        general_limit=5000,
        reports_limit=5000,
    ) as running:
        settings.HARVEST_API_BASE = running.api_base
        settings.HARVEST_ID_BASE = running.id_base
        yield running


def sandbox_connection(owner, workspace) -> Connection:
    return make_sandbox_connection(owner, workspace, ACCOUNT_ID)


def make_source(owner, workspace, connection, query_url: str, **fields) -> DataSource:
    return DataSource.objects.create(
        workspace=workspace,
        owner=owner,
        connection=connection,
        name=fields.pop("name", "Fault source"),
        account_id=ACCOUNT_ID,
        query_url=query_url,
        **fields,
    )


def refresh_now(source: DataSource) -> RefreshRun:
    run = RefreshRun.objects.create(source=source, trigger="manual")
    refresh_source(run.pk)
    run.refresh_from_db()
    source.refresh_from_db()
    return run
