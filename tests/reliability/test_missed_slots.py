"""Scheduler and workers down for three hours: on restart each of 300 sources on a
15-minute schedule refreshes once (not once per missed slot), with no 429 from
Harvest, and the schedule then resumes every 15 minutes."""

import os
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone
from pyrate_limiter import Duration, Rate

from connectors import ratelimit
from datasources import tasks
from datasources.models import DataSource, RefreshRun
from datasources.refresh import refresh_source

from .conftest import make_source, sandbox_connection

SOURCES = int(os.environ.get("MISSED_SLOTS_SOURCES", "300"))
DOWN_FOR = timedelta(hours=3)
EVERY = 15
# Scaled time: Harvest's 100 requests / 15 s become 60 / 1 s in the sandbox, and
# the product's limiter gets 50 / 1 s, the same margin a real deployment keeps.
SANDBOX_LIMIT = 60
PRODUCT_RATE = Rate(50, Duration.SECOND)


@pytest.fixture
def scaled_limits(monkeypatch, sandbox):
    sandbox.knobs.update({"general_limit": SANDBOX_LIMIT, "general_window": 1.0})
    monkeypatch.setitem(ratelimit.RATES, "general", PRODUCT_RATE)
    ratelimit.shared_limiter.cache_clear()


@pytest.fixture
def queued(monkeypatch) -> list[int]:
    handed: list[int] = []
    monkeypatch.setattr(tasks.refresh, "delay", handed.append)
    return handed


def _sources_down_for_three_hours(owner, workspace) -> list[DataSource]:
    connection = sandbox_connection(owner, workspace)
    went_down = timezone.now() - DOWN_FOR
    sources = []
    for number in range(SOURCES):
        path = "/v2/users/me" if number % 2 else "/v2/company"
        # Each was due at some minute of the 15 after the outage began.
        due = went_down + timedelta(seconds=number * 3)
        sources.append(
            make_source(
                owner,
                workspace,
                connection,
                path,
                name=f"Source {number}",
                refresh_minutes=EVERY,
                next_run_at=due,
            )
        )
    return sources


def _tick(capture) -> list[int]:
    with capture(execute=True):
        return tasks.tick()


@pytest.mark.slow
def test_each_source_refreshes_once_after_three_hours_down(
    owner,
    workspace,
    sandbox,
    scaled_limits,
    queued,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    sources = _sources_down_for_three_hours(owner, workspace)

    first_tick = _tick(django_capture_on_commit_callbacks)
    for run_id in queued:
        refresh_source(run_id)
    second_tick = _tick(django_capture_on_commit_callbacks)

    assert len(first_tick) == SOURCES
    assert second_tick == []
    runs_per_source = Counter(RefreshRun.objects.values_list("source_id", flat=True))
    assert runs_per_source == Counter({source.pk: 1 for source in sources})
    assert RefreshRun.objects.filter(status="succeeded").count() == SOURCES
    statuses = Counter(request.status for request in sandbox.requests)
    assert statuses == Counter({200: SOURCES})

    # Fifteen minutes on, each source is due exactly once more.
    later = timezone.now() + timedelta(minutes=EVERY, seconds=30)
    monkeypatch.setattr(tasks.timezone, "now", lambda: later)
    third_tick = _tick(django_capture_on_commit_callbacks)
    assert len(third_tick) == SOURCES
    assert set(
        RefreshRun.objects.filter(pk__in=third_tick).values_list("source_id", flat=True)
    ) == {source.pk for source in sources}
    assert DataSource.objects.filter(status=DataSource.Status.OK).count() == SOURCES
