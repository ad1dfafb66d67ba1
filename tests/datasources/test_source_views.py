import re
from datetime import time, timedelta

import pytest
import requests
import responses
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from connectors.harvest.client import HarvestClient
from datasources import tasks
from datasources.models import DataSource, RefreshRun, SourceShare
from datasources.refresh import refresh_source

from .conftest import API, ID, fixture_json, serve_pages, time_entry


@pytest.fixture
def no_retry_wait(monkeypatch):
    monkeypatch.setattr(HarvestClient, "backoff_seconds", 0)


@pytest.fixture
def queued(monkeypatch) -> list[int]:
    handed: list[int] = []
    monkeypatch.setattr(tasks.refresh, "delay", handed.append)
    return handed


def _refreshed(source, harvest) -> DataSource:
    serve_pages(harvest, "/v2/time_entries", "time_entries", [[time_entry(1, 2.5)]])
    refresh_source(RefreshRun.objects.create(source=source).pk)
    source.refresh_from_db()
    return source


def test_refresh_now_queues_one_run(
    owner_client, source, queued, django_capture_on_commit_callbacks
):
    url = reverse("datasources:source_refresh", args=[source.pk])

    with django_capture_on_commit_callbacks(execute=True):
        first = owner_client.post(url, follow=True)
        owner_client.post(url)

    run = RefreshRun.objects.get(source=source)
    assert (run.status, run.trigger) == ("queued", "manual")
    assert queued == [run.pk]
    assert "Refresh queued." in first.content.decode()


def test_the_detail_page_shows_staleness_and_runs(owner_client, source, harvest):
    _refreshed(source, harvest)
    harvest.reset()
    serve_pages(harvest, "/v2/time_entries", "time_entries", [[]], 1, status=403)
    refresh_source(RefreshRun.objects.create(source=source).pk)
    source.refresh_from_db()

    page = owner_client.get(reverse("datasources:source_detail", args=[source.pk]))

    text = page.content.decode()
    assert page.status_code == 200
    assert (
        f"Stale since {timezone.localtime(source.stale_since):%Y-%m-%d %H:%M}" in text
    )
    assert "UTC because: Your Harvest role cannot read /v2/time_entries." in text
    assert "Succeeded" in text and "Failed" in text
    assert "entry 1" in text  # the stored row of the previous version
    assert "Every hour" in text


def test_the_owner_edits_name_schedule_and_columns(owner_client, source, harvest):
    source = _refreshed(source, harvest)
    columns = source.columns
    form = {
        "name": "Renamed",
        "schedule": "daily",
        "daily_at": "06:15",
        "columns-TOTAL_FORMS": str(len(columns)),
        "columns-INITIAL_FORMS": str(len(columns)),
    }
    for index, column in enumerate(columns):
        form[f"columns-{index}-path"] = column["path"]
        form[f"columns-{index}-name"] = column["name"]
        form[f"columns-{index}-type"] = column["type"]
        form[f"columns-{index}-order"] = str(index)
        if column["path"] == "notes":
            form[f"columns-{index}-hidden"] = "on"

    answer = owner_client.post(
        reverse("datasources:source_edit", args=[source.pk]), form
    )

    source.refresh_from_db()
    assert answer.status_code == 302
    assert (source.name, source.refresh_minutes, source.daily_at) == (
        "Renamed",
        None,
        time(6, 15),
    )
    assert source.shared_with_workspace is False
    assert [c["path"] for c in source.columns if c["hidden"]] == ["notes"]


def test_duplicate_column_names_are_refused_with_a_message(
    owner_client, source, harvest
):
    source = _refreshed(source, harvest)
    columns = source.columns[:2]
    form = {
        "name": source.name,
        "schedule": "60",
        "columns-TOTAL_FORMS": "2",
        "columns-INITIAL_FORMS": "2",
    }
    for index, column in enumerate(columns):
        form[f"columns-{index}-path"] = column["path"]
        form[f"columns-{index}-name"] = "Same"
        form[f"columns-{index}-type"] = column["type"]
        form[f"columns-{index}-order"] = str(index)

    answer = owner_client.post(
        reverse("datasources:source_edit", args=[source.pk]), form
    )

    assert answer.status_code == 200
    assert "Column names must be unique; repeated: Same" in answer.content.decode()


def test_delete_removes_the_source_and_its_files(owner_client, source, harvest):
    source = _refreshed(source, harvest)
    file_name = source.current_version.file_name

    answer = owner_client.post(reverse("datasources:source_delete", args=[source.pk]))

    assert answer.status_code == 302
    assert not DataSource.objects.filter(pk=source.pk).exists()
    assert not default_storage.exists(file_name)


def _wizard_at_data_step(owner_client, connection) -> str:
    start = owner_client.get(
        reverse("datasources:wizard_start", args=["harvest", "invoices-open"])
    )
    wizard_url = start["Location"].rsplit("/", 2)[0]
    owner_client.post(f"{wizard_url}/connection/", {"connection": connection.pk})
    owner_client.post(f"{wizard_url}/account/", {"account": 1122334})
    return f"{wizard_url}/data/"


def test_harvest_down_is_a_message_not_a_500(
    owner_client, connection, harvest, no_retry_wait
):
    harvest.add(
        responses.GET, f"{ID}/api/v2/accounts", json=fixture_json("accounts.json")
    )
    harvest.add(
        responses.GET,
        f"{API}/v2/invoices",
        body=requests.ConnectionError("connection refused"),
    )
    data_step = _wizard_at_data_step(owner_client, connection)

    page = owner_client.get(data_step)

    assert page.status_code == 200
    assert (
        "Harvest did not answer /v2/invoices after 4 attempts" in page.content.decode()
    )


def test_a_forbidden_endpoint_is_a_message(owner_client, connection, harvest):
    harvest.add(
        responses.GET, f"{ID}/api/v2/accounts", json=fixture_json("accounts.json")
    )
    harvest.add(responses.GET, f"{API}/v2/invoices", json={}, status=403)
    data_step = _wizard_at_data_step(owner_client, connection)

    page = owner_client.get(data_step)

    assert page.status_code == 200
    assert "Your Harvest role cannot read /v2/invoices." in page.content.decode()


def test_the_list_warns_about_failing_sources(owner_client, source, connection):
    source.failure_count = 3
    source.last_error = "Harvest could not be reached."
    source.save()
    connection.status = connection.Status.NEEDS_RECONNECT
    connection.save()

    page = owner_client.get(reverse("datasources:source_list")).content.decode()

    assert "Sources that need your attention" in page
    assert "Connection needs reconnecting" in page
    assert reverse("connectors:connection_reconnect", args=[connection.pk]) in page


def _stored_table(html: str) -> tuple[list[str], list[str]]:
    """The header cells and the first row's cells of the stored-rows table."""
    table = html.split('id="stored-rows"', 1)[1].split("</table>", 1)[0]
    head, body = table.split("</thead>", 1)
    first_row = body.split("</tr>", 1)[0]
    return re.findall(r"<th>(.*?)</th>", head), re.findall(r"<td>(.*?)</td>", first_row)


def test_the_stored_rows_show_modelled_columns_without_hidden_ones(
    owner_client, source, harvest
):
    source = _refreshed(source, harvest)
    modelled = []
    for column in source.columns:
        if column["path"] == "notes":
            column = {**column, "hidden": True}
        if column["path"] == "hours":
            column = {**column, "name": "Logged"}
        modelled.append(column)
    source.columns = modelled
    source.save(update_fields=["columns"])

    page = owner_client.get(reverse("datasources:source_detail", args=[source.pk]))

    names, cells = _stored_table(page.content.decode())
    visible = [c for c in modelled if not c.get("hidden")]
    assert names == [c["name"] for c in visible]
    assert "Logged" in names and "notes" not in names and "Notes" not in names
    assert cells[names.index("Logged")] == "2.5"
    assert "entry 1" not in page.content.decode()


def test_a_never_refreshed_source_says_it_stores_no_rows_yet(owner_client, source):
    page = owner_client.get(reverse("datasources:source_detail", args=[source.pk]))

    html = page.content.decode()
    assert '<dd id="stored-row-count">none yet</dd>' in html
    assert (
        '<p class="muted" id="columns-pending">Columns are inferred from the first '
        "refresh that returns rows.</p>"
    ) in html


def test_next_refresh_says_now_while_a_refresh_is_queued_or_running(
    owner_client, source
):
    """Not the worker's claim lease (30 minutes on), which looked like the
    schedule."""
    url = reverse("datasources:source_detail", args=[source.pk])
    run = RefreshRun.objects.create(source=source)
    source.next_run_at = timezone.now() + timedelta(minutes=30)
    source.save(update_fields=["next_run_at"])

    queued = owner_client.get(url).content.decode()
    RefreshRun.objects.filter(pk=run.pk).update(status=RefreshRun.Status.RUNNING)
    running = owner_client.get(url).content.decode()
    RefreshRun.objects.filter(pk=run.pk).update(status=RefreshRun.Status.SUCCEEDED)
    done = owner_client.get(url).content.decode()

    assert '<dd id="next-run">now (queued)</dd>' in queued
    assert '<dd id="next-run">now (running)</dd>' in running
    scheduled = f"{timezone.localtime(source.next_run_at):%Y-%m-%d %H:%M} UTC"
    assert f'<dd id="next-run">{scheduled}</dd>' in done


def test_only_the_connections_owner_is_offered_to_reconnect_it(
    owner_client, source, connection, teammate
):
    connection.status = connection.Status.NEEDS_RECONNECT
    connection.save()
    SourceShare.objects.create(source=source, grantee=teammate, level="edit")
    teammate_client = Client()
    teammate_client.force_login(teammate)
    page = reverse("datasources:source_detail", args=[source.pk])
    reconnect = reverse("connectors:connection_reconnect", args=[connection.pk])

    owners = owner_client.get(page).content.decode()
    sharers = teammate_client.get(page).content.decode()

    assert reconnect in owners
    assert "Only its owner" not in owners
    assert reconnect not in sharers
    assert "Only its owner, owner@example.com, can reconnect it." in sharers


def test_the_detail_page_names_the_harvest_account(owner_client, source, connection):
    account = connection.harvest_accounts()[0]

    page = owner_client.get(reverse("datasources:source_detail", args=[source.pk]))
    source.connection = None

    assert f"{account['name']} ({source.account_id}) via Dana Reyes@Harvest" in (
        page.content.decode()
    )
    assert source.account_label() == str(source.account_id)
