from django.urls import reverse

from tests.klips.conftest import make_source
from tests.klips.helpers import make_dashboard, make_klip


def _thousand_projects(workspace, owner):
    records = [
        {"project": {"name": f"Project {n:04d}"}, "hours": float(n)}
        for n in range(1000)
    ]
    return make_source(workspace, owner, records)


def test_it_folds_a_thousand_bars_into_top_50_and_other(owner_client, workspace, owner):
    source = _thousand_projects(workspace, owner)
    dashboard = make_dashboard(workspace, owner)
    klip = make_klip(dashboard, source)

    response = owner_client.get(
        reverse("klips:klip_data", args=[dashboard.pk, klip.pk])
    )

    bars = response.json()["figure"]["data"][0]
    assert len(bars["x"]) == 51
    assert bars["x"][:2] == ["Project 0999", "Project 0998"]
    assert bars["x"][-1] == "Other"
    assert bars["y"][-1] == sum(range(950))


def test_it_folds_pie_slices_into_top_12_and_other(owner_client, workspace, owner):
    source = _thousand_projects(workspace, owner)
    dashboard = make_dashboard(workspace, owner)
    klip = make_klip(dashboard, source, kind="pie")

    response = owner_client.get(
        reverse("klips:klip_data", args=[dashboard.pk, klip.pk])
    )

    pie = response.json()["figure"]["data"][0]
    assert len(pie["labels"]) == 13
    assert pie["values"][-1] == sum(range(988))


def test_it_keeps_every_row_in_a_table_and_the_csv(owner_client, workspace, owner):
    source = _thousand_projects(workspace, owner)
    dashboard = make_dashboard(workspace, owner)
    klip = make_klip(dashboard, source, kind="table")

    table = owner_client.get(reverse("klips:klip_data", args=[dashboard.pk, klip.pk]))
    csv_text = owner_client.get(reverse("klips:klip_csv", args=[dashboard.pk, klip.pk]))

    assert len(table.json()["table"]["rows"]) == 1000
    assert len(csv_text.content.decode().splitlines()) == 1001


def test_it_draws_negative_bars_below_zero(owner_client, workspace, owner):
    source = make_source(
        workspace,
        owner,
        [
            {"project": {"name": "Refunds"}, "hours": -3.0},
            {"project": {"name": "Work"}, "hours": 5.0},
        ],
    )
    dashboard = make_dashboard(workspace, owner)
    klip = make_klip(dashboard, source)

    response = owner_client.get(
        reverse("klips:klip_data", args=[dashboard.pk, klip.pk])
    )

    figure = response.json()["figure"]
    assert figure["data"][0]["y"] == [-3.0, 5.0]
    assert figure["layout"]["yaxis"]["zeroline"] is True
