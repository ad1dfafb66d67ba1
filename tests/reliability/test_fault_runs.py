"""Harvest misbehaving mid-refresh: each fault ends as one clear failed run, and the
version Klips read (its id, row count and file) stays exactly as it was."""

import duckdb
import pytest
import responses

from datasources import storage
from datasources.models import DataSource, DataVersion, RefreshRun

from .conftest import TASK_REPORT, make_source, refresh_now, sandbox_connection

REPORT_PATH = "/v2/reports/time/tasks"


@pytest.fixture
def refreshed_source(owner, workspace, sandbox, fast_retries) -> DataSource:
    connection = sandbox_connection(owner, workspace)
    source = make_source(owner, workspace, connection, TASK_REPORT)
    first = refresh_now(source)
    assert first.status == RefreshRun.Status.SUCCEEDED, first.error
    assert first.pages_done >= 3  # two records a page: the fault can come mid-run
    return source


def fault_after_first_page(monkeypatch, sandbox, **knobs) -> None:
    """Turns the sandbox's knobs on once page 1 of the next run is stored."""
    record_progress = storage.record_progress

    def then_fault(run, page, rows):
        record_progress(run, page, rows)
        if page.number == 1:
            sandbox.knobs.update(knobs)

    monkeypatch.setattr(storage, "record_progress", then_fault)


def assert_old_version_kept(source: DataSource, version: DataVersion) -> None:
    source.refresh_from_db()
    assert source.current_version_id == version.pk
    assert source.status == DataSource.Status.STALE
    assert DataVersion.objects.filter(source=source).count() == 1
    stored = DataVersion.objects.get(pk=version.pk)
    assert stored.row_count == version.row_count
    with duckdb.connect() as reader:
        count = reader.execute(
            "SELECT count(*) FROM read_parquet($path)",
            {"path": str(storage.local_path(stored))},
        ).fetchone()[0]
    assert count == version.row_count


def assert_one_failed_run(source: DataSource, run: RefreshRun, error: str) -> None:
    assert run.status == RefreshRun.Status.FAILED
    assert run.error == error
    assert source.last_error == error
    assert source.runs.filter(status=RefreshRun.Status.FAILED).count() == 1


def test_a_5xx_storm_ends_as_a_failed_run(refreshed_source, sandbox, monkeypatch):
    version = refreshed_source.current_version
    fault_after_first_page(monkeypatch, sandbox, fail_5xx=1000)

    run = refresh_now(refreshed_source)

    error = (
        f"Harvest did not answer {REPORT_PATH} after 4 attempts (HTTP 503). "
        "Try again in a few minutes."
    )
    assert_one_failed_run(refreshed_source, run, error)
    assert run.pages_done == 1
    assert_old_version_kept(refreshed_source, version)


def test_a_truncated_body_ends_as_a_failed_run(refreshed_source, sandbox, monkeypatch):
    version = refreshed_source.current_version
    fault_after_first_page(monkeypatch, sandbox, truncate_body=1000)

    run = refresh_now(refreshed_source)

    error = (
        f"Harvest did not answer {REPORT_PATH} after 4 attempts "
        "(ChunkedEncodingError). Try again in a few minutes."
    )
    assert_one_failed_run(refreshed_source, run, error)
    assert_old_version_kept(refreshed_source, version)


def test_a_single_truncated_body_is_retried_and_the_run_completes(
    refreshed_source, sandbox, monkeypatch
):
    old_version = refreshed_source.current_version
    fault_after_first_page(monkeypatch, sandbox, truncate_body=1)

    run = refresh_now(refreshed_source)

    assert run.status == RefreshRun.Status.SUCCEEDED
    assert run.requests == run.pages_done + 1  # one page needed a second try
    assert refreshed_source.current_version.row_count == old_version.row_count


def test_an_html_page_with_status_200_ends_as_a_failed_run(
    refreshed_source, sandbox, monkeypatch
):
    version = refreshed_source.current_version
    fault_after_first_page(monkeypatch, sandbox, html_200=1)

    run = refresh_now(refreshed_source)

    error = f"Harvest answered {REPORT_PATH} with a web page instead of data."
    assert_one_failed_run(refreshed_source, run, error)
    assert_old_version_kept(refreshed_source, version)


def test_invalid_json_ends_as_a_failed_run(refreshed_source, sandbox):
    version = refreshed_source.current_version
    # The sandbox has no knob for a well-formed reply that is not JSON; this one
    # answer comes from `responses` at the client seam instead.
    with responses.RequestsMock() as harvest:
        harvest.add(
            responses.GET,
            f"{sandbox.api_base}{REPORT_PATH}",
            body=b'{"results": [{"task_id": 1,, }',
            status=200,
            content_type="application/json",
        )
        run = refresh_now(refreshed_source)

    error = (
        f"Harvest's answer to {REPORT_PATH} is not valid JSON (it may have been "
        "cut off)."
    )
    assert_one_failed_run(refreshed_source, run, error)
    assert_old_version_kept(refreshed_source, version)


def test_a_listing_that_never_ends_stops_at_the_row_cap(
    refreshed_source, sandbox, settings
):
    version = refreshed_source.current_version
    settings.MAX_SOURCE_ROWS = 40
    sandbox.knobs.endless_pages = True

    run = refresh_now(refreshed_source)

    error = (
        "This source is too large: more than 40 records. Narrow its Query URL "
        "(a shorter date range or a filter)."
    )
    assert_one_failed_run(refreshed_source, run, error)
    assert run.rows == 40  # two records a page: stopped at page 21, not later
    assert run.pages_done == 20
    assert_old_version_kept(refreshed_source, version)


def test_a_mirrored_collection_that_never_ends_stops_at_the_row_cap(
    owner, workspace, sandbox, settings, fast_retries
):
    connection = sandbox_connection(owner, workspace)
    source = make_source(
        owner, workspace, connection, "/v2/time_entries?from=2026-11-01&to=2026-11-30"
    )
    first = refresh_now(source)
    assert first.status == RefreshRun.Status.SUCCEEDED, first.error
    version = source.current_version
    settings.MAX_SOURCE_ROWS = 5000
    settings.MIRROR_FULL_PASS_HOURS = 0  # the next sync lists everything again
    sandbox.knobs.endless_pages = True

    run = refresh_now(source)

    error = (
        "This source is too large: more than 5,000 records. Narrow its Query URL "
        "(a shorter date range or a filter)."
    )
    assert_one_failed_run(source, run, error)
    assert_old_version_kept(source, version)
