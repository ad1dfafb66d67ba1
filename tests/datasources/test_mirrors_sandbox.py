"""Collection mirrors against the sandbox: edits, deletions, requests, sharing."""

from datetime import UTC, date, datetime, time, timedelta

import duckdb
import pytest
import requests
import time_machine
from django.db.models import F
from django.utils import timezone

from connectors.models import Connection
from datasources.mirrors import OVERLAP
from datasources.models import DataSource, Mirror, RefreshRun
from datasources.refresh import refresh_source
from datasources.storage import Spool, local_file, local_path
from tests.sandbox.conftest import make_sandbox_connection

sandbox_server = pytest.importorskip("sandbox.server")

ACCOUNT_ID = 4411001
ENTRIES = 3000
# Generated data ends on this day, so every generated updated_at is in the past
# and the sandbox's edits (stamped "now") are the newest changes.
SANDBOX_TODAY = date(2026, 11, 20)
NOVEMBER = "/v2/time_entries?from=2026-11-01&to=2026-11-30"


@pytest.fixture
def sandbox(settings):
    with sandbox_server.run_in_thread(
        seed=42, entries=ENTRIES, today=SANDBOX_TODAY
    ) as running:
        settings.HARVEST_API_BASE = running.api_base
        settings.HARVEST_ID_BASE = running.id_base
        yield running


@pytest.fixture
def sandbox_connection(owner, workspace, sandbox) -> Connection:
    return make_sandbox_connection(owner, workspace, ACCOUNT_ID)


def _source(owner, workspace, connection, query_url: str, name: str) -> DataSource:
    return DataSource.objects.create(
        workspace=workspace,
        owner=owner,
        connection=connection,
        name=name,
        account_id=ACCOUNT_ID,
        query_url=query_url,
    )


def _harvest(sandbox, method: str, path: str, **kwargs) -> requests.Response:
    response = requests.request(
        method,
        f"{sandbox.api_base}{path}",
        headers={
            "Authorization": "Bearer sandbox-demo-pat",
            "Harvest-Account-Id": str(ACCOUNT_ID),
            "User-Agent": "HarvestDash tests (ops@example.com)",
        },
        timeout=10,
        **kwargs,
    )
    response.raise_for_status()
    return response


def _total(sandbox, path: str) -> int:
    return _harvest(sandbox, "GET", path, params={"per_page": 1}).json()[
        "total_entries"
    ]


def _refresh(source: DataSource) -> RefreshRun:
    run = refresh_source(RefreshRun.objects.create(source=source).pk)
    assert run.status == RefreshRun.Status.SUCCEEDED, run.error
    source.refresh_from_db()
    return run


def _collection_requests(sandbox, collection: str) -> list[dict]:
    path = f"/api/v2/{collection}"
    return [r.query for r in sandbox.requests if r.path == path]


def _stored(source: DataSource, entry_id: int) -> tuple | None:
    connection = duckdb.connect()
    try:
        return connection.execute(
            "SELECT notes, hours FROM read_parquet($p) WHERE id = $id",
            {"p": str(local_path(source.current_version)), "id": entry_id},
        ).fetchone()
    finally:
        connection.close()


def test_an_edit_shows_after_the_next_incremental_refresh(
    owner, workspace, sandbox, sandbox_connection
):
    source = _source(owner, workspace, sandbox_connection, "/v2/time_entries", "All")
    _refresh(source)
    entry = sandbox.dataset.time_entry(17)
    assert _stored(source, entry["id"])[0] == entry["notes"]
    sandbox.requests.clear()

    _harvest(
        sandbox,
        "PATCH",
        f"/v2/time_entries/{entry['id']}",
        json={"notes": "Edited in Harvest", "hours": 7.5},
    )
    run = _refresh(source)

    assert _stored(source, entry["id"]) == ("Edited in Harvest", 7.5)
    assert source.current_version.row_count == ENTRIES
    sent = _collection_requests(sandbox, "time_entries")
    assert [sorted(q) for q in sent] == [
        ["per_page", "updated_since"],
        ["is_running", "per_page"],
    ]
    assert run.requests == 2


def test_a_deletion_shows_after_the_next_full_pass_only(
    owner, workspace, sandbox, sandbox_connection, monkeypatch
):
    # Spooled in parts of 1,000, as a million records would be in parts of 100,000.
    monkeypatch.setattr(Spool, "PART_ROWS", 1000)
    source = _source(owner, workspace, sandbox_connection, "/v2/time_entries", "All")
    _refresh(source)
    deleted_id = sandbox.dataset.time_entry(40)["id"]
    _harvest(sandbox, "DELETE", f"/v2/time_entries/{deleted_id}")

    _refresh(source)
    assert source.current_version.row_count == ENTRIES
    assert _stored(source, deleted_id) is not None

    mirror = Mirror.objects.get()
    Mirror.objects.filter(pk=mirror.pk).update(
        last_full_at=mirror.last_full_at - timedelta(hours=25)
    )
    sandbox.requests.clear()
    run = _refresh(source)

    assert source.current_version.row_count == ENTRIES - 1
    assert _stored(source, deleted_id) is None
    assert run.requests == 2  # 3,000 entries: two pages of 2,000
    assert all(
        "updated_since" not in q for q in _collection_requests(sandbox, "time_entries")
    )
    mirror.refresh_from_db()
    assert mirror.row_count == ENTRIES - 1


def test_nothing_changed_costs_one_request_per_collection_plus_running_timers(
    owner, workspace, sandbox, sandbox_connection
):
    entries = _source(owner, workspace, sandbox_connection, NOVEMBER, "November")
    projects = _source(
        owner, workspace, sandbox_connection, "/v2/projects?is_active=true", "Active"
    )
    _refresh(entries)
    _refresh(projects)
    # The sandbox's data holds one running timer (today's newest entry).
    assert _running_in_mirror_of("time_entries") == [
        sandbox.dataset.time_entry(0)["id"]
    ]
    versions_before = (
        entries.current_version.row_count,
        projects.current_version.row_count,
    )
    sandbox.requests.clear()

    entries_run = _refresh(entries)
    projects_run = _refresh(projects)

    time_entry_requests = _collection_requests(sandbox, "time_entries")
    assert len(time_entry_requests) == 2
    assert "updated_since" in time_entry_requests[0]
    assert time_entry_requests[1]["is_running"] == "true"
    assert len(_collection_requests(sandbox, "projects")) == 1
    assert (entries_run.requests, projects_run.requests) == (2, 1)
    assert len(sandbox.requests) == 3
    assert versions_before == (
        _total(sandbox, NOVEMBER),
        _total(sandbox, "/v2/projects?is_active=true"),
    )
    assert (entries.current_version.row_count, projects.current_version.row_count) == (
        versions_before
    )


def _running_in_mirror_of(collection: str) -> list[int]:
    mirror = Mirror.objects.get(collection=collection)
    connection = duckdb.connect()
    try:
        rows = connection.execute(
            "SELECT id FROM read_parquet($p) WHERE is_running ORDER BY id",
            {"p": str(local_file(mirror.file_name))},
        ).fetchall()
    finally:
        connection.close()
    return [row[0] for row in rows]


def test_running_timers_are_asked_for_only_while_the_mirror_holds_one(
    owner, workspace, sandbox, sandbox_connection
):
    source = _source(owner, workspace, sandbox_connection, NOVEMBER, "November")
    _refresh(source)
    running = sandbox.dataset.time_entry(0)
    assert _running_in_mirror_of("time_entries") == [running["id"]]

    def requests_of_a_refresh() -> list[dict]:
        sandbox.requests.clear()
        run = _refresh(source)
        sent = _collection_requests(sandbox, "time_entries")
        assert run.requests == len(sent) == len(sandbox.requests)
        return sent

    # Nothing changed, a timer running: its hours grow, so it is asked for.
    sent = requests_of_a_refresh()
    assert [sorted(q) for q in sent] == [
        ["per_page", "updated_since"],
        ["is_running", "per_page"],
    ]

    # Stopped since: the stop moved its updated_at, so the changes bring it.
    _harvest(sandbox, "PATCH", f"/v2/time_entries/{running['id']}/stop")
    assert [sorted(q) for q in requests_of_a_refresh()] == [
        ["per_page", "updated_since"]
    ]
    assert _running_in_mirror_of("time_entries") == []

    # Nothing changed, no timer running: one request.
    assert [sorted(q) for q in requests_of_a_refresh()] == [
        ["per_page", "updated_since"]
    ]

    # Restarted since: the changes bring it running, with today's hours.
    _harvest(sandbox, "PATCH", f"/v2/time_entries/{running['id']}/restart")
    assert [sorted(q) for q in requests_of_a_refresh()] == [
        ["per_page", "updated_since"]
    ]
    assert _running_in_mirror_of("time_entries") == [running["id"]]

    # Once the restart is older than the overlap, it is asked for again.
    Mirror.objects.update(watermark=F("watermark") + OVERLAP * 2)
    assert [sorted(q) for q in requests_of_a_refresh()] == [
        ["per_page", "updated_since"],
        ["is_running", "per_page"],
    ]


def test_two_sources_on_one_collection_share_one_mirror_fetch(
    owner, workspace, sandbox, sandbox_connection
):
    november = _source(owner, workspace, sandbox_connection, NOVEMBER, "November")
    one_user = _source(
        owner, workspace, sandbox_connection, "/v2/time_entries?user_id=8600005", "Ana"
    )
    # Both due at the same tick: queued before either runs.
    runs = [RefreshRun.objects.create(source=s) for s in (november, one_user)]

    finished = [refresh_source(run.pk) for run in runs]

    assert [r.status for r in finished] == ["succeeded", "succeeded"]
    assert [r.requests for r in finished] == [2, 0]
    assert len(_collection_requests(sandbox, "time_entries")) == 2
    assert Mirror.objects.count() == 1
    november.refresh_from_db()
    one_user.refresh_from_db()
    assert november.current_version.row_count == _total(sandbox, NOVEMBER)
    assert one_user.current_version.row_count == _total(
        sandbox, "/v2/time_entries?user_id=8600005"
    )
    assert one_user.current_version.row_count > 0


def test_a_failed_sync_keeps_the_previous_mirror_and_version(
    owner, workspace, sandbox, sandbox_connection
):
    source = _source(owner, workspace, sandbox_connection, NOVEMBER, "November")
    _refresh(source)
    mirror = Mirror.objects.get()
    version = source.current_version
    entry = sandbox.dataset.time_entry(3)
    _harvest(sandbox, "PATCH", f"/v2/time_entries/{entry['id']}", json={"notes": "x"})
    sandbox.knobs.html_200 = 1

    run = refresh_source(RefreshRun.objects.create(source=source).pk)

    source.refresh_from_db()
    assert run.status == RefreshRun.Status.FAILED
    assert "web page instead of data" in run.error
    assert source.current_version == version
    after = Mirror.objects.get()
    assert (after.file_name, after.watermark, after.synced_at) == (
        mirror.file_name,
        mirror.watermark,
        mirror.synced_at,
    )
    assert local_path(version).exists()
    assert _stored(source, entry["id"])[0] == entry["notes"]

    _refresh(source)  # the next sync picks the edit up
    assert _stored(source, entry["id"])[0] == "x"


def test_a_recipe_row_filter_applies_to_the_mirror(
    owner, workspace, sandbox, sandbox_connection
):
    source = _source(
        owner, workspace, sandbox_connection, "/v2/invoices?state=open", ""
    )
    source.recipe = "invoices-overdue"
    source.save()
    open_invoices = _harvest(
        sandbox, "GET", "/v2/invoices", params={"state": "open", "per_page": 2000}
    ).json()["invoices"]

    # The recipe's {{today}} is the product's: held on the day the data was made,
    # some open invoices are past due and some are not, whatever the calendar says.
    with time_machine.travel(datetime.combine(SANDBOX_TODAY, time(12), tzinfo=UTC)):
        today = timezone.localdate()
        _refresh(source)

    overdue = [i for i in open_invoices if i["due_date"] < today.isoformat()]

    assert 0 < len(overdue) < len(open_invoices)
    assert source.current_version.row_count == len(overdue)
