"""The editor's formula, scale, hide, sort and look fields, through the preview and
the save, on the fixture time entries (Apollo 10 h in 3 entries, Borealis 7 h in
2, Cygnus 0.5 h in 1)."""

import pytest
from django.urls import reverse

from klips import gallery
from klips.forms import initial_from_klip, parse_scale, scale_text
from klips.models import Klip
from klips.spec import parse_spec
from tests.klips.conftest import make_source
from tests.klips.helpers import make_dashboard

LOOK = {"format_kind": "number", "bar_mode": "grouped", "orientation": "vertical"}


def _fields(source, **extra) -> dict:
    return {
        "name": "Per entry",
        "kind": "table",
        "source": source.pk,
        "group_by": "Project name",
        "agg": "sum",
        "measure_column": "Hours",
        "measure_label": "Hours",
        "agg_2": "count",
        **LOOK,
        **extra,
    }


def _preview(client, fields):
    return client.post(reverse("klips:klip_preview"), fields)


def _cells(response, column: int) -> list:
    return [row[column]["t"] for row in response.json()["table"]["rows"]]


def test_it_previews_a_ratio_formula_with_its_own_format(owner_client, time_entries):
    response = _preview(
        owner_client,
        _fields(
            time_entries,
            formula_label_1="Hours per entry",
            formula_left_1="1",
            formula_op_1="ratio",
            formula_right_1="2",
            formula_format_1="hours",
        ),
    )

    table = response.json()["table"]
    assert [c["name"] for c in table["columns"]] == [
        "Project name",
        "Hours",
        "Count",
        "Hours per entry",
    ]
    assert _cells(response, 3) == ["3.33 h", "3.50 h", "0.50 h"]
    assert _cells(response, 1) == ["10.00 h", "7.00 h", "0.50 h"]


def test_it_charts_a_percent_formula_alone_when_its_measures_are_hidden(
    owner_client, time_entries
):
    response = _preview(
        owner_client,
        _fields(
            time_entries,
            kind="bar",
            agg_2="sum",
            measure_column_2="Hours",
            measure_label_2="Capacity",
            measure_scale_2="4",
            measure_hidden="on",
            measure_hidden_2="on",
            formula_label_1="Load",
            formula_left_1="1",
            formula_op_1="percent",
            formula_right_1="2",
            sort_by="formula_1",
            direction="desc",
        ),
    )

    bars = response.json()["figure"]["data"]
    assert [trace["name"] for trace in bars] == ["Load"]
    # Hours over four times the hours: 25% each, in any order of projects.
    assert list(bars[0]["y"]) == [25.0, 25.0, 25.0]
    assert response.json()["figure"]["layout"]["yaxis"]["ticksuffix"] == "%"


def test_it_subtracts_measures_and_sorts_by_the_difference(owner_client, time_entries):
    response = _preview(
        owner_client,
        _fields(
            time_entries,
            agg_2="sum",
            measure_column_2="Hours",
            measure_label_2="Minutes",
            measure_scale_2="60",
            formula_label_1="Minutes minus hours",
            formula_left_1="2",
            formula_op_1="difference",
            formula_right_1="1",
            sort_by="formula_1",
            direction="asc",
        ),
    )

    rows = [[cell["v"] for cell in row] for row in response.json()["table"]["rows"]]
    assert rows == [
        ["Cygnus", 0.5, 30.0, 29.5],
        ["Borealis", 7.0, 420.0, 413.0],
        ["Apollo", 10.0, 600.0, 590.0],
    ]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"measure_hidden_2": "on"},
            "Measure 2 (Count) is hidden but no formula uses it: show it or use it "
            "in a formula.",
        ),
        (
            {"formula_label_1": "Share", "formula_left_1": "1"},
            "Formula 1 needs a label, two measures and an operation.",
        ),
        (
            {
                "formula_label_1": "Share",
                "formula_left_1": "1",
                "formula_op_1": "ratio",
                "formula_right_1": "3",
            },
            "Formula 'Share' uses measure 3, which is empty.",
        ),
        (
            {"measure_scale": "1/0"},
            "Multiply by '1/0': use a positive number or a fraction such as 1/3600",
        ),
        (
            {"measure_scale": "seconds"},
            "Multiply by 'seconds': use a positive number or a fraction such as 1/3600",
        ),
        ({"measure_column": ""}, "Measure 1 (sum) needs a column."),
        (
            {"agg_2": "max", "measure_column_2": "Project name"},
            "max needs a number or date column; 'Project name' is text",
        ),
    ],
)
def test_it_explains_a_formula_scale_or_hidden_measure_it_cannot_use(
    owner_client, time_entries, fields, message
):
    response = _preview(owner_client, _fields(time_entries, **fields))

    assert response.status_code == 422
    assert response.json()["error"] == message


def test_scales_read_as_fractions_and_come_back_exactly():
    assert parse_scale("1/3600") == 1 / 3600
    assert parse_scale(" 0.5 ") == 0.5
    assert parse_scale("") is None
    assert [scale_text(s) for s in (1 / 3600, 1 / 60, 60.0, 0.4, None)] == [
        "1/3600",
        "1/60",
        "60",
        "0.4",
        "",
    ]


def test_it_saves_formulas_scales_and_hidden_measures_and_shows_them_on_edit(
    owner_client, workspace, owner, time_entries
):
    dashboard = make_dashboard(workspace, owner)
    editor = reverse("klips:klip_create") + f"?dashboard={dashboard.pk}"

    response = owner_client.post(
        editor,
        _fields(
            time_entries,
            agg_2="sum",
            measure_column_2="Hours",
            measure_label_2="Capacity",
            measure_scale_2="1/3600",
            measure_hidden_2="on",
            formula_label_1="Load",
            formula_left_1="1",
            formula_op_1="percent",
            formula_right_1="2",
            formula_format_1="percent",
        ),
    )

    assert response.status_code == 302
    klip = Klip.objects.get(dashboard=dashboard)
    assert klip.spec["measures"][1] == {
        "column": "Hours",
        "agg": "sum",
        "label": "Capacity",
        "scale": 1 / 3600,
    }
    assert klip.spec["formulas"] == [
        {
            "label": "Load",
            "op": "percent",
            "left": "Hours",
            "right": "Capacity",
            "format": {"kind": "percent", "currency": "USD", "decimals": None},
        }
    ]
    assert klip.spec["display"]["hidden"] == ["Capacity"]
    initial = initial_from_klip(klip)
    assert (
        initial["measure_scale_2"],
        initial["measure_hidden_2"],
        initial["formula_left_1"],
        initial["formula_right_1"],
        initial["formula_format_1"],
    ) == ("1/3600", True, "1", "2", "percent")
    page = owner_client.get(reverse("klips:klip_edit", args=[dashboard.pk, klip.pk]))
    assert b'name="formula_label_1" value="Load"' in page.content
    assert b'name="measure_scale_2" value="1/3600"' in page.content


def _fields_of(klip: Klip) -> dict:
    """What the editor posts back for a saved Klip nobody changed."""
    posted = {}
    for key, value in initial_from_klip(klip).items():
        if value is None or value is False or value in ("", []):
            continue
        posted[key] = "on" if value is True else value
    return posted


def _gallery_sources(workspace, owner, spec) -> list:
    """Never-refreshed sources modelled with what the spec reads; a joined one
    holds only its join column, so every other name is the first source's."""
    from datasources.modelling import default_columns

    first = spec.referenced_columns() + ([spec.join.left] if spec.join else [])
    wanted = [first] + ([[spec.join.right]] if spec.join else [])
    return [
        make_source(
            workspace,
            owner,
            None,
            name=f"Source {number}",
            columns=[
                column.model_dump(mode="json")
                for column in default_columns(
                    name.lower().replace(" ", "_") for name in names
                )
            ],
        )
        for number, names in enumerate(wanted, start=1)
    ]


def test_every_gallery_klip_comes_back_unchanged_from_the_editor(
    owner_client, workspace, owner
):
    """The editor has a field for every part of every gallery Klip, so saving one
    without changes gives back the very same spec."""
    dashboard = make_dashboard(workspace, owner)
    for item in gallery.KLIPS:
        sources = _gallery_sources(
            workspace, owner, item.spec_for([1, 2][: len(item.recipes)])
        )
        spec = item.spec_for([source.pk for source in sources])
        klip = Klip.objects.create(
            dashboard=dashboard,
            name=item.name,
            kind=item.kind,
            spec=spec.model_dump(mode="json"),
        )

        response = owner_client.post(
            reverse("klips:klip_edit", args=[dashboard.pk, klip.pk]), _fields_of(klip)
        )

        assert response.status_code == 302, (item.slug, _errors(response))
        klip.refresh_from_db()
        assert parse_spec(klip.spec) == spec, item.slug


def _errors(response) -> str:
    form = response.context["form"] if response.context else None
    return form.errors.as_text() if form else response.content.decode()[:500]


def test_it_previews_a_date_calculation_as_a_measure(
    owner_client, workspace, owner, monkeypatch
):
    from django.utils import timezone

    from tests.klips.test_date_calcs import PROJECTS, TODAY

    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    projects = make_source(workspace, owner, PROJECTS, name="Projects (active)")

    response = _preview(
        owner_client,
        {
            **LOOK,
            "name": "Elapsed",
            "kind": "bar",
            "source": projects.pk,
            "calc_label_1": "Time elapsed",
            "calc_op_1": "elapsed_percent",
            "calc_start_1": "Starts on",
            "calc_end_1": "Ends on",
            "group_by": "Name",
            "agg": "max",
            "measure_column": "Time elapsed",
            "format_kind": "percent",
        },
    )
    days = _preview(
        owner_client,
        {
            **LOOK,
            "name": "Days",
            "kind": "table",
            "source": projects.pk,
            "calc_label_1": "Days left",
            "calc_op_1": "days_until",
            "calc_end_1": "Ends on",
            "agg": "",
            "columns": ["Name", "Days left"],
            "filter_column_1": "Days left",
            "filter_op_1": "lt",
            "filter_value_1": "0",
            "sort_by": "column:Name",
        },
    )

    bars = response.json()["figure"]["data"][0]
    assert list(bars["x"]) == ["Apollo", "Borealis", "Cygnus", "Dorado"]
    assert list(bars["y"]) == [100 * 10 / 30, 0.0, 100.0, None]
    assert response.json()["figure"]["layout"]["yaxis"]["ticksuffix"] == "%"
    assert days.json()["table"]["columns"] == [
        {"name": "Name", "numeric": False},
        {"name": "Days left", "numeric": True},
    ]
    assert [[c["t"] for c in row] for row in days.json()["table"]["rows"]] == [
        ["Cygnus", "-33"]
    ]


def test_an_edit_keeps_every_filter_and_the_listing_order(
    owner_client, workspace, owner, time_entries
):
    dashboard = make_dashboard(workspace, owner)
    filters = [
        {"column": "Hours", "op": "gt", "value": 0.25},
        {"column": "Billable", "op": "eq", "value": "true"},
        {"column": "Spent date", "op": "gte", "value": "2026-11-30"},
        {"column": "Project name", "op": "ne", "value": "Cygnus"},
    ]
    klip = Klip.objects.create(
        dashboard=dashboard,
        name="Listing",
        kind="table",
        spec={
            "sources": [time_entries.pk],
            "columns": ["User name", "Hours", "Project name"],
            "filters": filters,
            "sort": [{"by": "Hours", "direction": "desc"}],
        },
    )
    url = reverse("klips:klip_edit", args=[dashboard.pk, klip.pk])

    page = owner_client.get(url).content.decode()
    listing = page[
        page.index('name="columns"') : page.index(
            "</select>", page.index('name="columns"')
        )
    ]
    response = owner_client.post(url, _fields_of(klip))

    assert (
        listing.index("User name")
        < listing.index("Hours")
        < listing.index("Project name")
        < listing.index("Billable")
    )
    assert 'name="filter_column_4"' in page
    assert response.status_code == 302
    klip.refresh_from_db()
    assert klip.spec["columns"] == ["User name", "Hours", "Project name"]
    assert klip.spec["sort"] == [{"by": "Hours", "direction": "desc"}]
    assert [(f["column"], f["op"], f["value"]) for f in klip.spec["filters"]] == [
        ("Hours", "gt", 0.25),
        ("Billable", "eq", "true"),
        ("Spent date", "gte", "2026-11-30"),
        ("Project name", "ne", "Cygnus"),
    ]
    rows = owner_client.get(reverse("klips:klip_data", args=[dashboard.pk, klip.pk]))
    assert [[c["v"] for c in row] for row in rows.json()["table"]["rows"]] == [
        ["Ada", 6.0, "Apollo"],
        ["Ada", 4.0, "Borealis"],
        ["Ada", 3.0, "Borealis"],
        ["Ada", 2.5, "Apollo"],
        ["Grace", 1.5, "Apollo"],
    ]


def test_it_sorts_by_up_to_three_keys_and_shows_them_on_edit(
    owner_client, workspace, owner, time_entries
):
    dashboard = make_dashboard(workspace, owner)
    fields = {
        **LOOK,
        "name": "Entries",
        "kind": "table",
        "source": time_entries.pk,
        "agg": "",
        "columns": ["User name", "Project name", "Hours"],
        "sort_by": "column:User name",
        "sort_by_2": "column:Project name",
        "direction_2": "desc",
        "sort_by_3": "column:Hours",
    }

    preview = _preview(owner_client, fields)
    owner_client.post(
        reverse("klips:klip_create") + f"?dashboard={dashboard.pk}", fields
    )
    bad = _preview(owner_client, {**fields, "sort_by_2": "formula_2"})

    rows = [[c["v"] for c in row] for row in preview.json()["table"]["rows"]]
    assert rows == [
        ["Ada", "Borealis", 3.0],
        ["Ada", "Borealis", 4.0],
        ["Ada", "Apollo", 2.5],
        ["Ada", "Apollo", 6.0],
        ["Grace", "Apollo", 1.5],
        ["Linus", "Cygnus", 0.5],
    ]
    klip = Klip.objects.get(dashboard=dashboard)
    assert klip.spec["sort"] == [
        {"by": "User name", "direction": "asc"},
        {"by": "Project name", "direction": "desc"},
        {"by": "Hours", "direction": "asc"},
    ]
    initial = initial_from_klip(klip)
    assert (initial["sort_by_2"], initial["direction_2"], initial["sort_by_3"]) == (
        "column:Project name",
        "desc",
        "column:Hours",
    )
    assert bad.json()["error"] == (
        "Sort 2: that part of the Klip (formula_2) is empty."
    )
