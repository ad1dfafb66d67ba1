import json
import re
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from django.urls import reverse
from django.utils import timezone

from datasources import fetching, refresh, tasks, wizard
from datasources.models import DataSource, RefreshRun

from .conftest import API, ID, fixture_json

RECIPE_URL = "/v2/time_entries?from={{start_of_month}}&to={{end_of_month}}"


@pytest.fixture
def harvest_api(harvest):
    """Harvest answering the accounts list and two pages of time entries."""
    harvest.add(
        responses.GET, f"{ID}/api/v2/accounts", json=fixture_json("accounts.json")
    )
    asked: list[str] = []

    def time_entries(request):
        asked.append(request.url)
        page = parse_qs(urlsplit(request.url).query).get("page", ["1"])[0]
        return 200, {}, json.dumps(fixture_json(f"time_entries_page{page}.json"))

    harvest.add_callback(responses.GET, f"{API}/v2/time_entries", time_entries)
    harvest.asked = asked
    return harvest


@pytest.fixture
def eager_refresh(monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(tasks.refresh, "delay", lambda run_id: tasks.refresh(run_id))


def _wizard_url(response) -> tuple[str, str]:
    match = re.search(r"/sources/setup/([^/]+)/([a-z]+)/$", response["Location"])
    return match.group(1), match.group(2)


def _step(wizard_id: str, step: str) -> str:
    return reverse("datasources:wizard", args=[wizard_id, step])


def _state(client, wizard_id: str) -> dict:
    return client.session[wizard.SESSION_KEY][wizard_id]


def test_catalog_shows_harvest_and_its_sources(owner_client):
    catalog = owner_client.get(reverse("datasources:catalog"))
    detail = owner_client.get(reverse("datasources:service_detail", args=["harvest"]))

    assert catalog.status_code == 200
    assert b"Harvest" in catalog.content
    assert detail.status_code == 200
    assert "Time entries (this month)" in detail.content.decode()
    assert "Create a custom Harvest data source" in detail.content.decode()
    assert "Project budget report" in detail.content.decode()


def test_it_lists_the_connections_account_ids(owner_client, connection, harvest_api):
    url = reverse("datasources:service_detail", args=["harvest"])

    page = owner_client.get(url, {"accounts_for": connection.pk}).content.decode()

    assert "1122334" in page
    assert "1122999" in page
    assert "5566778" in page
    assert "not usable for Harvest data" in page


def test_the_wizard_happy_path_saves_and_refreshes(
    owner_client,
    connection,
    harvest_api,
    eager_refresh,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    # The recorded entries are from March 2025; the refresh cuts "this month"
    # out of the collection's mirror locally, so let it run in that month.
    for module in (refresh, fetching):
        monkeypatch.setattr(module, "local_today", lambda *args: date(2025, 3, 20))
    start = owner_client.get(
        reverse("datasources:wizard_start", args=["harvest", "time-entries-this-month"])
    )
    wizard_id, step = _wizard_url(start)
    assert step == "connection"

    page = owner_client.get(_step(wizard_id, "connection")).content.decode()
    assert connection.name in page
    connect = reverse("connectors:connect_harvest")
    assert f"{connect}?next={_step(wizard_id, 'connection')}" in page

    chosen = owner_client.post(
        _step(wizard_id, "connection"), {"connection": connection.pk}
    )
    assert _wizard_url(chosen) == (wizard_id, "account")

    account_page = owner_client.get(_step(wizard_id, "account")).content.decode()
    assert 'value="1122334"' in account_page
    assert 'value="1122999"' in account_page
    assert 'value="5566778"' not in account_page  # Forecast

    picked = owner_client.post(_step(wizard_id, "account"), {"account": 1122334})
    assert _wizard_url(picked) == (wizard_id, "data")

    data_page = owner_client.get(_step(wizard_id, "data")).content.decode()
    month_start = "2025-03-01"
    assert f"{API}/v2/time_entries?from={month_start}&amp;to=" in data_page
    assert "per_page=2000" in data_page
    assert f"from={month_start}" in harvest_api.asked[-1]
    assert 'id="requests-per-refresh">2<' in data_page
    assert "general limit" in data_page
    assert "Priya Natarajan" in data_page  # a preview row
    assert "&quot;total_entries&quot;: 5" in data_page  # raw JSON, escaped

    edited = owner_client.post(
        _step(wizard_id, "custom"),
        {"query_url": "/v2/time_entries?is_running=true"},
    )
    assert _wizard_url(edited) == (wizard_id, "data")
    assert (
        "is_running=true" in owner_client.get(_step(wizard_id, "data")).content.decode()
    )
    owner_client.post(_step(wizard_id, "custom"), {"action": "basic"})
    assert _state(owner_client, wizard_id)["query_url"] == RECIPE_URL
    owner_client.get(_step(wizard_id, "data"))

    modelled = owner_client.get(_step(wizard_id, "model"))
    assert modelled.status_code == 200
    columns = _state(owner_client, wizard_id)["inferred_columns"]
    form = {
        "columns-TOTAL_FORMS": str(len(columns)),
        "columns-INITIAL_FORMS": str(len(columns)),
    }
    for index, column in enumerate(columns):
        form[f"columns-{index}-path"] = column["path"]
        form[f"columns-{index}-name"] = column["name"]
        form[f"columns-{index}-type"] = column["type"]
        form[f"columns-{index}-order"] = str(index + 1)
    hours_index = next(i for i, c in enumerate(columns) if c["path"] == "hours")
    form[f"columns-{hours_index}-name"] = "Time spent"
    form[f"columns-{hours_index}-order"] = "0"
    saved_model = owner_client.post(_step(wizard_id, "model"), form)
    assert _wizard_url(saved_model) == (wizard_id, "save")

    with django_capture_on_commit_callbacks(execute=True):
        saved = owner_client.post(
            _step(wizard_id, "save"),
            {"name": "March hours", "schedule": "30", "shared_with_workspace": "on"},
        )

    source = DataSource.objects.get(name="March hours")
    assert saved["Location"] == reverse("datasources:source_detail", args=[source.pk])
    assert source.query_url == RECIPE_URL
    assert source.recipe == "time-entries-this-month"
    assert (source.account_id, source.connection, source.refresh_minutes) == (
        1122334,
        connection,
        30,
    )
    assert source.shared_with_workspace is True
    assert source.columns[0] == {
        "name": "Time spent",
        "path": "hours",
        "type": "hours",
        "hidden": False,
    }
    run = RefreshRun.objects.get(source=source)
    assert (run.status, run.trigger, run.pages_done, run.rows) == (
        "succeeded",
        "created",
        2,
        5,
    )
    source.refresh_from_db()
    assert source.current_version.row_count == 5
    assert wizard_id not in owner_client.session[wizard.SESSION_KEY]

    detail = owner_client.get(saved["Location"]).content.decode()
    assert "Initech Mobile App" in detail  # a stored row
    assert "Succeeded" in detail


def test_switching_to_custom_and_back_discards_the_edits(
    owner_client, connection, harvest_api
):
    start = owner_client.get(
        reverse("datasources:wizard_start", args=["harvest", "time-entries-this-month"])
    )
    wizard_id, _ = _wizard_url(start)
    owner_client.post(_step(wizard_id, "connection"), {"connection": connection.pk})
    owner_client.post(_step(wizard_id, "account"), {"account": 1122334})

    custom_page = owner_client.get(_step(wizard_id, "custom")).content.decode()
    assert "from={{start_of_month}}&amp;to={{end_of_month}}</textarea>" in custom_page
    assert "discards your edits" in custom_page

    edited = owner_client.post(
        _step(wizard_id, "custom"),
        {
            "query_url": f"{API}/v2/time_entries?from={{{{days_ago:7}}}}&to={{{{today}}}}"
        },
    )
    assert _wizard_url(edited) == (wizard_id, "data")
    state = _state(owner_client, wizard_id)
    assert state["query_url"] == "/v2/time_entries?from={{days_ago:7}}&to={{today}}"
    assert state["custom"] is True

    data_page = owner_client.get(_step(wizard_id, "data")).content.decode()
    heading = "<h1>New data source: Time entries (this month), custom settings</h1>"
    assert heading in data_page
    assert "(dates are filled in at every refresh)" in data_page
    week_ago = date.fromordinal(timezone.now().date().toordinal() - 7).isoformat()
    assert f"/v2/time_entries?from={week_ago}" in data_page
    assert "Switch back to basic settings" in data_page
    assert "discards your edited Query URL" in data_page

    back = owner_client.post(_step(wizard_id, "custom"), {"action": "basic"})
    assert _wizard_url(back) == (wizard_id, "data")
    basic_page = owner_client.get(_step(wizard_id, "data")).content.decode()
    assert "<h1>New data source: Time entries (this month)</h1>" in basic_page
    state = _state(owner_client, wizard_id)
    assert state["query_url"] == RECIPE_URL
    assert state["custom"] is False


def test_a_bad_query_url_gets_a_clear_message(owner_client, connection):
    start = owner_client.get(
        reverse("datasources:wizard_start_custom", args=["harvest"])
    )
    wizard_id, step = _wizard_url(start)
    assert step == "custom"

    other_host = owner_client.post(
        _step(wizard_id, "custom"), {"query_url": "https://evil.example/v2/users"}
    )
    unknown_date = owner_client.post(
        _step(wizard_id, "custom"), {"query_url": "/v2/time_entries?from={{someday}}"}
    )

    assert other_host.status_code == 200
    assert "errorlist" in other_host.content.decode()
    assert unknown_date.status_code == 200
    assert "Unknown relative date {{someday}}" in unknown_date.content.decode()
    assert _state(owner_client, wizard_id)["query_url"] == ""


def test_a_custom_source_starts_with_the_query_url(owner_client, connection):
    start = owner_client.get(
        reverse("datasources:wizard_start_custom", args=["harvest"])
    )
    wizard_id, _ = _wizard_url(start)

    chosen = owner_client.post(
        _step(wizard_id, "custom"), {"query_url": "/v2/projects?is_active=true"}
    )

    assert _wizard_url(chosen) == (wizard_id, "connection")
    assert _state(owner_client, wizard_id)["query_url"] == "/v2/projects?is_active=true"
    for step in ("custom", "connection"):
        page = owner_client.get(_step(wizard_id, step)).content.decode()
        assert "<h1>New data source: custom</h1>" in page


def test_an_invalid_token_asks_for_reconnecting(owner_client, connection, harvest):
    harvest.add(
        responses.GET,
        f"{ID}/api/v2/accounts",
        json=fixture_json("error_401_invalid_token.json"),
        status=401,
    )
    start = owner_client.get(
        reverse("datasources:wizard_start", args=["harvest", "time-entries-this-month"])
    )
    wizard_id, _ = _wizard_url(start)
    owner_client.post(_step(wizard_id, "connection"), {"connection": connection.pk})

    page = owner_client.get(_step(wizard_id, "account"))

    assert page.status_code == 200
    text = page.content.decode()
    assert "Connection needs reconnecting" in text
    assert reverse("connectors:connection_reconnect", args=[connection.pk]) in text


def test_the_query_url_step_lists_the_relative_dates_as_placeholders(
    owner_client, connection
):
    start = owner_client.get(
        reverse("datasources:wizard_start_custom", args=["harvest"])
    )
    wizard_id, _ = _wizard_url(start)

    page = owner_client.get(_step(wizard_id, "custom")).content.decode()

    assert "<code>{{start_of_month}}</code>" in page
    assert "verbatim" not in page
