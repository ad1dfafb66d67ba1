"""With the broker unreachable, handing a run to a worker fails clearly: the run
says why, the source is due at once, and the ticker queues it when the broker is
back (the Redis outage itself is in test_service_outages.py)."""

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from datasources import tasks
from datasources.models import DataSource, RefreshRun
from datasources.refresh import BROKER_DOWN, queue_refresh

from .conftest import make_source


class Broker:
    def __init__(self) -> None:
        self.up = False
        self.sent: list[int] = []

    def delay(self, run_id: int) -> None:
        if not self.up:
            raise OperationalError("Error 111 connecting to 127.0.0.1:6379.")
        self.sent.append(run_id)


@pytest.fixture
def broker(monkeypatch) -> Broker:
    fake = Broker()
    monkeypatch.setattr(tasks.refresh, "delay", fake.delay)
    return fake


@pytest.fixture
def source(owner, workspace):
    from connectors.models import Connection

    connection = Connection.objects.create(
        workspace=workspace, owner=owner, name="c", auth_kind="pat", access_token="t"
    )
    return make_source(owner, workspace, connection, "/v2/company")


def test_refresh_now_with_the_broker_down_fails_its_run_and_makes_the_source_due(
    source, broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = queue_refresh(source)

    run.refresh_from_db()
    source.refresh_from_db()
    assert (run.status, run.error) == (RefreshRun.Status.FAILED, BROKER_DOWN)
    assert source.next_run_at <= timezone.now()

    broker.up = True
    with django_capture_on_commit_callbacks(execute=True):
        queued = tasks.tick()

    assert broker.sent == queued
    assert RefreshRun.objects.get(pk=queued[0]).source_id == source.pk
    assert RefreshRun.objects.filter(status=RefreshRun.Status.QUEUED).count() == 1


def test_a_tick_with_the_broker_down_leaves_no_run_waiting_for_ever(
    source, broker, django_capture_on_commit_callbacks
):
    DataSource.objects.filter(pk=source.pk).update(next_run_at=timezone.now())

    with django_capture_on_commit_callbacks(execute=True):
        tasks.tick()

    assert RefreshRun.objects.filter(status=RefreshRun.Status.QUEUED).count() == 0
    source.refresh_from_db()
    assert source.next_run_at <= timezone.now()
    broker.up = True
    with django_capture_on_commit_callbacks(execute=True):
        assert len(tasks.tick()) == 1
