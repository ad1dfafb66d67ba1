"""The whole path against the sandbox: catalog to a stored version."""

import re

import pytest
import requests
from django.urls import reverse
from django.utils import timezone

from connectors.models import Connection
from datasources import tasks
from datasources.models import DataSource, RefreshRun
from datasources.relative_dates import dates_for
from datasources.storage import read_rows
from tests.sandbox.conftest import make_sandbox_connection

sandbox_server = pytest.importorskip("sandbox.server")

SANDBOX_ACCOUNT_ID = 4411001


@pytest.fixture
def sandbox(settings):
    with sandbox_server.run_in_thread(seed=42, entries=3000) as running:
        settings.HARVEST_API_BASE = running.api_base
        settings.HARVEST_ID_BASE = running.id_base
        yield running


@pytest.fixture
def sandbox_connection(owner, workspace, sandbox) -> Connection:
    return make_sandbox_connection(owner, workspace, SANDBOX_ACCOUNT_ID)


def _count_this_month(sandbox) -> int:
    month = dates_for(timezone.now().date())
    answer = requests.get(
        f"{sandbox.api_base}/v2/time_entries",
        params={
            "from": month["start_of_month"].isoformat(),
            "to": month["end_of_month"].isoformat(),
            "per_page": 1,
        },
        headers={
            "Authorization": "Bearer sandbox-demo-pat",
            "Harvest-Account-Id": str(SANDBOX_ACCOUNT_ID),
            "User-Agent": "HarvestDash tests (ops@example.com)",
        },
        timeout=10,
    )
    return answer.json()["total_entries"]


def test_time_entries_this_month_from_catalog_to_stored_version(
    owner_client,
    sandbox,
    sandbox_connection,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    monkeypatch.setattr(tasks.refresh, "delay", lambda run_id: tasks.refresh(run_id))
    catalog = owner_client.get(reverse("datasources:catalog")).content.decode()
    assert reverse("datasources:service_detail", args=["harvest"]) in catalog
    service = owner_client.get(reverse("datasources:service_detail", args=["harvest"]))
    start_url = reverse(
        "datasources:wizard_start", args=["harvest", "time-entries-this-month"]
    )
    assert start_url in service.content.decode()

    start = owner_client.get(start_url)
    wizard = start["Location"].rsplit("/", 2)[0]
    owner_client.post(f"{wizard}/connection/", {"connection": sandbox_connection.pk})
    account_page = owner_client.get(f"{wizard}/account/").content.decode()
    assert f'value="{SANDBOX_ACCOUNT_ID}"' in account_page
    owner_client.post(f"{wizard}/account/", {"account": SANDBOX_ACCOUNT_ID})
    data_page = owner_client.get(f"{wizard}/data/").content.decode()
    expected_total = _count_this_month(sandbox)
    assert expected_total > 0
    pages_needed = max(1, -(-expected_total // 2000))
    assert f'id="requests-per-refresh">{pages_needed}<' in data_page
    assert re.search(r"/v2/time_entries\?from=\d{4}-\d{2}-01&amp;to=", data_page)

    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(f"{wizard}/save/", {"name": "This month", "schedule": "60"})

    source = DataSource.objects.get(name="This month")
    run = RefreshRun.objects.get(source=source)
    assert run.status == "succeeded", run.error
    assert run.rows == expected_total
    # A new mirror lists the whole collection (3,000 entries), the month is cut
    # out locally.
    assert run.pages_done == 2
    assert source.current_version.row_count == expected_total
    names, rows = read_rows(source.current_version, limit=5)
    assert {"spent_date", "hours", "project.name"} <= set(names)
    assert len(rows) == min(5, expected_total)
    assert source.columns[0]["path"] == "spent_date"
