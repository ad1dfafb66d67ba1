"""Two beat processes by mistake: two tickers racing over the same due sources on
PostgreSQL claim each source once, so no source runs twice."""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection as db_connection
from django.utils import timezone

from connectors.models import Connection
from datasources import tasks
from datasources.models import DataSource, RefreshRun
from workspaces.models import Workspace

SOURCES = 200
ROUNDS = 5


@pytest.fixture
def postgresql_only():
    if db_connection.vendor != "postgresql":
        pytest.skip("concurrent tickers need PostgreSQL (run with DATABASE_URL set)")


def _due_sources(owner, count: int) -> list[DataSource]:
    workspace = Workspace.objects.get(membership__user=owner)
    connection = Connection.objects.create(
        workspace=workspace,
        owner=owner,
        name="Racing@Harvest",
        auth_kind=Connection.AuthKind.PERSONAL_TOKEN,
        access_token="sandbox-demo-pat",
    )
    due = timezone.now() - timedelta(minutes=5)
    return DataSource.objects.bulk_create(
        DataSource(
            workspace=workspace,
            owner=owner,
            connection=connection,
            name=f"Source {number}",
            account_id=4411001,
            query_url="/v2/company",
            refresh_minutes=15,
            next_run_at=due - timedelta(seconds=number),
        )
        for number in range(count)
    )


def _race(tickers: int) -> list[list[int]]:
    """Runs tick() in `tickers` threads released at the same instant."""
    start = threading.Barrier(tickers)
    results: list[list[int]] = [[] for _ in range(tickers)]
    errors: list[BaseException] = []

    def ticker(slot: int) -> None:
        try:
            start.wait()
            results[slot] = tasks.tick()
        except BaseException as error:
            errors.append(error)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=ticker, args=(n,)) for n in range(tickers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    return results


@pytest.mark.django_db(transaction=True)
def test_two_tickers_at_once_queue_each_due_source_once(
    postgresql_only, owner, monkeypatch
):
    handed: list[int] = []
    monkeypatch.setattr(tasks.refresh, "delay", handed.append)

    for _ in range(ROUNDS):
        sources = _due_sources(owner, SOURCES // ROUNDS)
        first, second = _race(2)

        assert sorted(first + second) == sorted(
            RefreshRun.objects.filter(source__in=sources).values_list("pk", flat=True)
        )
        assert not set(first) & set(second)

    runs_per_source = Counter(RefreshRun.objects.values_list("source_id", flat=True))
    assert len(runs_per_source) == SOURCES
    assert set(runs_per_source.values()) == {1}
    assert sorted(handed) == sorted(RefreshRun.objects.values_list("pk", flat=True))
