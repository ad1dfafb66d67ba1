"""Dashboard-wide filters reach every Klip that has the column, server-side."""

import pytest
from django.urls import reverse

from klips import query
from tests.klips.conftest import entry, make_source
from tests.klips.helpers import make_dashboard, make_klip


@pytest.fixture
def executions(monkeypatch):
    calls = []
    real_execute = query.execute

    def counting_execute(compiled, time_zone="UTC"):
        calls.append(compiled.params)
        return real_execute(compiled, time_zone)

    monkeypatch.setattr(query, "execute", counting_execute)
    return calls


@pytest.fixture
def board(workspace, owner, time_entries):
    dashboard = make_dashboard(workspace, owner)
    return dashboard, make_klip(dashboard, time_entries)


def _bars(client, dashboard, klip, query_string=""):
    url = reverse("klips:klip_data", args=[dashboard.pk, klip.pk]) + query_string
    response = client.get(url)
    assert response.status_code == 200, response.content
    bars = response.json()["figure"]["data"][0]
    return dict(zip(bars["x"], bars["y"], strict=True))


def test_it_narrows_a_klip_to_the_date_range(owner_client, board):
    bars = _bars(owner_client, *board, "?from=2026-12-01&to=2026-12-07")

    assert bars == {"Apollo": 1.5, "Borealis": 7.0}


def test_it_narrows_a_klip_to_one_person(owner_client, board):
    assert _bars(owner_client, *board, "?person=Ada") == {
        "Apollo": 8.5,
        "Borealis": 7.0,
    }


def test_it_leaves_a_klip_without_the_column_alone(
    owner_client, board, workspace, owner
):
    dashboard, klip = board
    with_clients = make_source(
        workspace,
        owner,
        [
            entry("Apollo", 2.0, "2026-12-01", client={"id": 1, "name": "Acme"}),
            entry("Borealis", 5.0, "2026-12-01", client={"id": 2, "name": "Globex"}),
        ],
        name="With clients",
    )
    client_klip = make_klip(dashboard, with_clients)

    assert _bars(owner_client, dashboard, klip, "?client=Acme") == {
        "Apollo": 10.0,
        "Borealis": 7.0,
        "Cygnus": 0.5,
    }
    assert _bars(owner_client, dashboard, client_klip, "?client=Acme") == {
        "Apollo": 2.0
    }


def test_each_filter_combination_is_its_own_cached_result(
    owner_client, board, executions
):
    _bars(owner_client, *board)
    _bars(owner_client, *board, "?person=Ada")
    _bars(owner_client, *board, "?person=Ada")
    _bars(owner_client, *board, "?person=Grace")

    assert len(executions) == 3
    assert "Ada" in executions[1] and "Grace" in executions[2]


@pytest.mark.parametrize(
    ("query_string", "message"),
    [
        ("?from=yesterday", "From must be a date such as 2026-12-31."),
        ("?from=2026-12-09&to=2026-12-01", "The date range ends before it starts."),
        ("?person=" + "x" * 300, "Person is longer than 255 characters."),
    ],
)
def test_it_refuses_bad_filter_values_with_a_message(
    owner_client, board, query_string, message
):
    dashboard, klip = board
    url = reverse("klips:klip_data", args=[dashboard.pk, klip.pk]) + query_string
    csv_url = reverse("klips:klip_csv", args=[dashboard.pk, klip.pk]) + query_string

    response = owner_client.get(url)
    csv_response = owner_client.get(csv_url)

    assert (response.status_code, response.json()["error"]) == (422, message)
    assert (csv_response.status_code, csv_response.content.decode()) == (422, message)


def test_the_dashboard_page_passes_its_filters_to_every_klip(owner_client, board):
    dashboard, klip = board
    page = owner_client.get(
        reverse("klips:dashboard_detail", args=[dashboard.pk])
        + "?from=2026-12-01&person=Ada&ignored=1"
    )
    bad = owner_client.get(
        reverse("klips:dashboard_detail", args=[dashboard.pk]) + "?to=soon"
    )

    data_url = reverse("klips:klip_data", args=[dashboard.pk, klip.pk])
    assert f'data-data-url="{data_url}?from=2026-12-01&amp;person=Ada"' in (
        page.content.decode()
    )
    assert 'name="person" value="Ada"' in page.content.decode()
    assert bad.status_code == 200
    assert "To must be a date such as 2026-12-31." in bad.content.decode()
    assert f'data-data-url="{data_url}"' in bad.content.decode()


def test_a_bad_filter_keeps_every_box_as_typed(owner_client, board):
    dashboard, _klip = board
    page = owner_client.get(
        reverse("klips:dashboard_detail", args=[dashboard.pk])
        + "?from=2026-12-09&to=2026-12-01&client=Kestrel+Bank&person=Ada"
    )

    html = page.content.decode()
    assert "The date range ends before it starts." in html
    assert 'name="from" value="2026-12-09"' in html
    assert 'name="to" value="2026-12-01"' in html
    assert 'name="client" value="Kestrel Bank"' in html
    assert 'name="person" value="Ada"' in html
    assert 'name="project" value=""' in html


def test_the_csv_follows_the_filters(owner_client, board):
    dashboard, klip = board
    response = owner_client.get(
        reverse("klips:klip_csv", args=[dashboard.pk, klip.pk]) + "?person=Grace"
    )

    assert response.content.decode().splitlines() == [
        "Project name,Hours",
        "Apollo,1.5",
    ]


def test_the_filter_bar_suggests_the_sources_projects_and_people(
    owner_client, board, workspace, owner
):
    dashboard, _ = board
    hostile = make_source(
        workspace,
        owner,
        [entry('"><b>Zeta</b>', 1.0, "2026-12-01", user="Zoe")],
        name="Another",
    )
    make_klip(dashboard, hostile)

    page = owner_client.get(
        reverse("klips:dashboard_detail", args=[dashboard.pk])
    ).content.decode()

    projects = page.split('id="filter-projects">')[1].split("</datalist>")[0]
    people = page.split('id="filter-people">')[1].split("</datalist>")[0]
    assert projects == (
        '<option value="&quot;&gt;&lt;b&gt;Zeta&lt;/b&gt;">'
        '<option value="Apollo"><option value="Borealis"><option value="Cygnus">'
    )
    assert people == (
        '<option value="Ada"><option value="Grace"><option value="Linus">'
        '<option value="Zoe">'
    )
    assert 'id="filter-clients"></datalist>' in page
