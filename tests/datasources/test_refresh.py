from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.utils import timezone

from connectors.models import Connection
from datasources import notifications
from datasources.models import DataSource, DataVersion, RefreshRun
from datasources.refresh import SKIPPED, refresh_source
from datasources.schedule import backoff

from .conftest import serve_pages, time_entry

PATH = "/v2/time_entries"


def _pages(count: int, per_page: int = 3, start: int = 1) -> list[list[dict]]:
    return [
        [time_entry(start + p * per_page + i, 1.25) for i in range(per_page)]
        for p in range(count)
    ]


def _refresh(source) -> RefreshRun:
    run = RefreshRun.objects.create(source=source)
    return refresh_source(run.pk)


def test_it_stores_every_page_and_swaps_the_version(source, harvest):
    seen = serve_pages(harvest, PATH, "time_entries", _pages(5))
    before = timezone.now()

    run = _refresh(source)

    source.refresh_from_db()
    assert run.status == RefreshRun.Status.SUCCEEDED
    assert (run.pages_done, run.pages_total, run.rows, run.requests) == (5, 5, 15, 5)
    assert source.current_version == run.version
    assert source.current_version.row_count == 15
    assert source.status == DataSource.Status.OK
    assert source.failure_count == 0
    assert source.last_duration_ms is not None
    # A new mirror lists the whole collection; the month is cut out locally.
    assert seen[0] == f"https://api.harvestapp.com{PATH}?per_page=2000"
    assert before + timedelta(minutes=60) <= source.next_run_at
    assert source.next_run_at <= timezone.now() + timedelta(minutes=60)


def test_it_infers_columns_with_the_recipe_defaults_first(source, harvest):
    serve_pages(harvest, PATH, "time_entries", _pages(1))

    _refresh(source)

    source.refresh_from_db()
    paths = [c["path"] for c in source.columns]
    assert paths[:4] == ["spent_date", "user.name", "project.name", "hours"]
    assert {"id", "notes", "user.id", "project.id"} <= set(paths)
    types = {c["path"]: c["type"] for c in source.columns}
    assert types["hours"] == "hours"
    assert types["spent_date"] == "date"


def test_a_failure_on_page_3_of_5_keeps_the_previous_version(source, harvest):
    serve_pages(harvest, PATH, "time_entries", _pages(2))
    _refresh(source)
    source.refresh_from_db()
    previous = source.current_version
    previous_bytes = default_storage.open(previous.file_name).read()
    harvest.reset()
    serve_pages(harvest, PATH, "time_entries", _pages(5), fail_on_page=3, status=422)

    run = _refresh(source)

    source.refresh_from_db()
    assert run.status == RefreshRun.Status.FAILED
    assert run.pages_done == 2
    assert "Harvest refused /v2/time_entries" in run.error
    assert source.current_version == previous
    assert source.current_version.row_count == 6
    assert default_storage.open(previous.file_name).read() == previous_bytes
    assert DataVersion.objects.filter(source=source).count() == 1
    assert len(default_storage.listdir(f"datasets/{source.pk}")[1]) == 1
    assert source.status == DataSource.Status.STALE
    assert source.failure_count == 1
    assert source.last_error == run.error
    assert source.stale_since is not None


def test_it_deletes_the_superseded_file_after_the_swap(source, harvest):
    serve_pages(harvest, PATH, "time_entries", _pages(1))
    _refresh(source)
    source.refresh_from_db()
    first = source.current_version
    harvest.reset()
    serve_pages(harvest, PATH, "time_entries", _pages(1, start=50))

    _refresh(source)

    source.refresh_from_db()
    assert source.current_version != first
    assert not default_storage.exists(first.file_name)
    assert not DataVersion.objects.filter(pk=first.pk).exists()
    assert default_storage.exists(source.current_version.file_name)


def test_an_empty_answer_is_an_empty_version(source, harvest):
    serve_pages(harvest, PATH, "time_entries", [[]])

    run = _refresh(source)

    source.refresh_from_db()
    assert run.status == RefreshRun.Status.SUCCEEDED
    assert source.current_version.row_count == 0
    assert source.status == DataSource.Status.OK
    assert Path(default_storage.path(source.current_version.file_name)).exists()


@pytest.mark.parametrize(
    ("failures", "minutes"),
    [(1, 2), (2, 4), (3, 8), (5, 32), (8, 256), (9, 360), (20, 360)],
)
def test_it_backs_off_exponentially_with_a_cap(failures, minutes):
    assert backoff(failures) == timedelta(minutes=minutes)


def test_a_failure_pushes_the_next_run_back_by_the_backoff(source, harvest):
    serve_pages(harvest, PATH, "time_entries", _pages(1), fail_on_page=1, status=403)
    source.failure_count = 2
    source.save()
    before = timezone.now()

    _refresh(source)

    source.refresh_from_db()
    assert source.failure_count == 3
    assert before + timedelta(minutes=8) <= source.next_run_at
    assert source.next_run_at <= timezone.now() + timedelta(minutes=8)


def test_a_locked_source_is_not_refreshed_twice(source, harvest):
    seen = serve_pages(harvest, PATH, "time_entries", _pages(1))
    DataSource.objects.filter(pk=source.pk).update(
        claimed_until=timezone.now() + timedelta(minutes=5)
    )

    run = _refresh(source)

    source.refresh_from_db()
    assert run.status == RefreshRun.Status.FAILED
    assert run.error == SKIPPED
    assert seen == []
    assert source.failure_count == 0
    assert source.current_version is None


def test_it_warns_the_owner_after_3_failures_and_pauses_after_10(source, harvest):
    serve_pages(harvest, PATH, "time_entries", _pages(1), fail_on_page=1, status=403)

    for _ in range(2):
        _refresh(source)
    assert mail.outbox == []

    _refresh(source)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["owner@example.com"]
    assert "Time this month" in mail.outbox[0].subject
    assert "failed to refresh 3 times" in mail.outbox[0].body

    for _ in range(notifications.PAUSE_AFTER_FAILURES - 4):
        _refresh(source)
    source.refresh_from_db()
    assert source.failure_count == 9
    assert source.status == DataSource.Status.STALE

    _refresh(source)
    source.refresh_from_db()
    assert source.status == DataSource.Status.PAUSED
    assert source.next_run_at is None
    assert len(mail.outbox) == 1


def test_a_refused_token_warns_at_once(source, harvest):
    serve_pages(harvest, PATH, "time_entries", _pages(1), fail_on_page=1, status=401)

    run = _refresh(source)

    source.connection.refresh_from_db()
    assert run.status == RefreshRun.Status.FAILED
    assert source.connection.status == Connection.Status.NEEDS_RECONNECT
    assert len(mail.outbox) == 1
    assert "Reconnect it" in mail.outbox[0].body


def test_a_parameter_the_mirror_cannot_apply_is_sent_to_harvest(
    owner, workspace, connection, harvest
):
    from .conftest import make_source

    source = make_source(
        owner,
        workspace,
        connection,
        recipe="",
        query_url="/v2/time_entries?from={{start_of_month}}&external_reference_id=X-1",
    )
    seen = serve_pages(harvest, PATH, "time_entries", _pages(2))

    run = _refresh(source)

    month_start = timezone.now().date().replace(day=1).isoformat()
    assert run.status == RefreshRun.Status.SUCCEEDED
    assert (run.pages_done, run.rows) == (2, 6)
    assert f"from={month_start}&external_reference_id=X-1" in seen[0]
    assert "per_page=2000" in seen[0]
