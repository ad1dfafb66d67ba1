import threading
from datetime import timedelta

import pytest
from django.db import connection as db_connection
from django.utils import timezone

from connectors.models import Connection
from datasources import tasks
from datasources.models import DataSource, RefreshRun

from .conftest import make_source


@pytest.fixture
def queued(monkeypatch) -> list[int]:
    """Run ids handed to the worker (instead of a broker)."""
    handed: list[int] = []
    monkeypatch.setattr(tasks.refresh, "delay", handed.append)
    return handed


def _due(owner, workspace, connection, **fields) -> DataSource:
    return make_source(
        owner,
        workspace,
        connection,
        next_run_at=timezone.now() - timedelta(minutes=1),
        **fields,
    )


def test_it_queues_due_sources_only(
    owner, workspace, connection, queued, django_capture_on_commit_callbacks
):
    due = _due(owner, workspace, connection)
    make_source(owner, workspace, connection, next_run_at=timezone.now() + timedelta(1))
    make_source(owner, workspace, connection, next_run_at=None)
    _due(owner, workspace, connection, status=DataSource.Status.PAUSED)
    broken = Connection.objects.create(
        workspace=workspace,
        owner=owner,
        name="revoked",
        auth_kind="pat",
        status=Connection.Status.NEEDS_RECONNECT,
    )
    _due(owner, workspace, broken)

    with django_capture_on_commit_callbacks(execute=True):
        run_ids = tasks.tick()

    assert len(run_ids) == 1
    run = RefreshRun.objects.get(pk=run_ids[0])
    assert (run.source_id, run.status, run.trigger) == (due.pk, "queued", "schedule")
    assert queued == run_ids
    due.refresh_from_db()
    assert due.next_run_at > timezone.now() + tasks.CLAIM_LEASE - timedelta(minutes=1)


def test_two_interleaved_ticks_claim_each_source_once(owner, workspace, connection):
    sources = [_due(owner, workspace, connection) for _ in range(3)]
    now = timezone.now()

    seen_by_first = tasks.due_candidates(now)
    seen_by_second = tasks.due_candidates(now)
    claims_first = [tasks.claim(pk, at, now) for pk, at in seen_by_first]
    claims_second = [tasks.claim(pk, at, now) for pk, at in seen_by_second]

    assert len(seen_by_first) == len(seen_by_second) == len(sources)
    assert claims_first == [True, True, True]
    assert claims_second == [False, False, False]


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_ticks_queue_one_run(owner, workspace, connection, queued):
    if db_connection.vendor == "sqlite" and db_connection.is_in_memory_db():
        # Shared-cache in-memory SQLite raises "table is locked" instead of
        # waiting; the interleaved test above covers the claim on SQLite.
        pytest.skip("needs PostgreSQL (DATABASE_URL) or an on-disk database")
    source = _due(owner, workspace, connection)
    barrier = threading.Barrier(2)
    results: list[list[int]] = []

    def run_tick() -> None:
        barrier.wait()
        try:
            results.append(tasks.tick())
        finally:
            db_connection.close()

    threads = [threading.Thread(target=run_tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(len(r) for r in results) == [0, 1]
    assert RefreshRun.objects.filter(source=source).count() == 1
