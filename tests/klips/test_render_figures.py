import json
from datetime import date

import pytest

from klips.query import run_klip
from klips.render import escape_text, format_value, render
from klips.spec import NumberFormat, SpecError, parse_spec
from tests.klips.conftest import make_source

TODAY = date(2026, 12, 9)
BY_PROJECT = {
    "group_by": [{"column": "Project name"}],
    "measures": [{"column": "Hours", "agg": "sum", "label": "Hours"}],
}


def payload(kind, source, **spec):
    parsed = parse_spec({"sources": [source.pk], **spec})
    result = run_klip(parsed, {source.pk: source}, today=TODAY)
    return render(kind, parsed, result)


def test_it_draws_hours_by_project_as_bars(time_entries):
    figure = payload("bar", time_entries, **BY_PROJECT)["figure"]

    bars = figure["data"][0]
    assert bars["type"] == "bar"
    assert list(bars["x"]) == ["Apollo", "Borealis", "Cygnus"]
    assert list(bars["y"]) == [10.0, 7.0, 0.5]
    assert figure["layout"]["yaxis"]["ticksuffix"] == " h"


def test_it_draws_horizontal_stacked_bars_per_series(time_entries):
    figure = payload(
        "bar",
        time_entries,
        group_by=[
            {"column": "Spent date", "bucket": "week"},
            {"column": "Project name"},
        ],
        measures=[{"column": "Hours", "agg": "sum"}],
        display={"bar_mode": "stacked", "orientation": "horizontal"},
    )["figure"]

    traces = {t["name"]: (list(t["y"]), list(t["x"])) for t in figure["data"]}
    assert traces == {
        "Apollo": (["2026-11-30", "2026-12-07"], [4.0, 6.0]),
        "Borealis": (["2026-11-30", "2026-12-07"], [4.0, 3.0]),
        "Cygnus": (["2026-12-07"], [0.5]),
    }
    assert figure["layout"]["barmode"] == "stack"
    assert all(t["orientation"] == "h" for t in figure["data"])


def test_it_colours_bars_by_threshold_and_draws_the_target(time_entries):
    figure = payload(
        "bar",
        time_entries,
        **BY_PROJECT,
        thresholds=[
            {"value": 0, "colour": "#dc2626"},
            {"value": 5, "colour": "#16a34a"},
        ],
        target=8,
        target_label="Goal <b>",
    )["figure"]

    assert list(figure["data"][0]["marker"]["color"]) == [
        "#16a34a",
        "#16a34a",
        "#dc2626",
    ]
    shape = figure["layout"]["shapes"][0]
    assert (shape["y0"], shape["y1"]) == (8, 8)
    assert figure["layout"]["annotations"][0]["text"] == "Goal &lt;b&gt;"


def test_it_draws_weekly_lines_and_areas(time_entries):
    spec = {
        "group_by": [{"column": "Spent date", "bucket": "week"}],
        "measures": [{"column": "Hours", "agg": "sum"}],
    }
    line = payload("line", time_entries, **spec)["figure"]["data"][0]
    area = payload("area", time_entries, **spec)["figure"]["data"][0]

    assert (list(line["x"]), list(line["y"])) == (
        ["2026-11-30", "2026-12-07"],
        [8.0, 9.5],
    )
    assert line["type"] == "scatter" and "fill" not in line
    assert area["fill"] == "tozeroy"


@pytest.mark.parametrize(
    "bucket, ticks",
    [
        ("week", ["Nov 30", "Dec 07"]),
        ("month", ["Nov 2026", "Dec 2026"]),
        ("quarter", ["Q4 2026"]),
        ("year", ["2026"]),
    ],
)
def test_it_names_line_ticks_for_their_bucket(time_entries, bucket, ticks):
    spec = {
        "group_by": [{"column": "Spent date", "bucket": bucket}],
        "measures": [{"column": "Hours", "agg": "sum"}],
    }
    xaxis = payload("line", time_entries, **spec)["figure"]["layout"]["xaxis"]

    assert list(xaxis["ticktext"]) == ticks
    assert "tickformat" not in xaxis


def test_it_draws_a_donut_without_negative_parts(workspace, owner):
    source = make_source(
        workspace,
        owner,
        [
            {"project": {"name": "A"}, "hours": 3.0},
            {"project": {"name": "B"}, "hours": 1.0},
            {"project": {"name": "C"}, "hours": -2.0},
        ],
    )

    figure = payload("pie", source, **BY_PROJECT, display={"donut": True})["figure"]

    pie = figure["data"][0]
    assert (list(pie["labels"]), list(pie["values"]), pie["hole"]) == (
        ["A", "B"],
        [3.0, 1.0],
        0.5,
    )
    assert figure["layout"]["annotations"][0]["text"].startswith("1 zero or negative")


def test_it_draws_a_gauge_with_bands(time_entries):
    figure = payload(
        "gauge",
        time_entries,
        measures=[{"column": "Hours", "agg": "sum"}],
        thresholds=[
            {"value": 0, "colour": "#dc2626"},
            {"value": 10, "colour": "#16a34a"},
        ],
        display={"gauge_max": 40},
        target=20,
    )["figure"]

    gauge = figure["data"][0]
    assert gauge["value"] == 17.5
    assert gauge["gauge"]["axis"]["range"] == [0, 40]
    assert [s["range"] for s in gauge["gauge"]["steps"]] == [[0, 10], [10, 40]]
    assert gauge["gauge"]["threshold"]["value"] == 20


def test_it_draws_a_number_compared_with_last_week(time_entries):
    figure = payload(
        "number",
        time_entries,
        group_by=[{"column": "Spent date", "bucket": "week"}],
        measures=[{"column": "Hours", "agg": "sum"}],
    )["figure"]

    indicator, sparkline = figure["data"]
    assert indicator["value"] == 9.5
    assert indicator["delta"]["reference"] == 8.0
    assert list(sparkline["y"]) == [8.0, 9.5]


def test_it_draws_a_plain_number(time_entries):
    figure = payload("number", time_entries, measures=[{"agg": "count"}])["figure"]

    assert figure["data"][0]["value"] == 6
    assert figure["data"][0]["mode"] == "number"


def test_it_draws_a_scatter_of_two_measures(time_entries):
    figure = payload(
        "scatter",
        time_entries,
        group_by=[{"column": "Project name"}],
        measures=[{"agg": "count"}, {"column": "Hours", "agg": "sum"}],
    )["figure"]

    dots = figure["data"][0]
    assert (list(dots["x"]), list(dots["y"]), list(dots["text"])) == (
        [3, 2, 1],
        [10.0, 7.0, 0.5],
        ["Apollo", "Borealis", "Cygnus"],
    )


def test_it_draws_a_heatmap_of_weeks_by_project(time_entries):
    figure = payload(
        "heatmap",
        time_entries,
        group_by=[
            {"column": "Spent date", "bucket": "week"},
            {"column": "Project name"},
        ],
        measures=[{"column": "Hours", "agg": "sum"}],
    )["figure"]

    heat = figure["data"][0]
    assert list(heat["x"]) == ["2026-11-30", "2026-12-07"]
    assert list(heat["y"]) == ["Apollo", "Borealis", "Cygnus"]
    assert [list(row) for row in heat["z"]] == [[4.0, 6.0], [4.0, 3.0], [None, 0.5]]


def test_it_builds_a_formatted_table(time_entries):
    table = payload(
        "table",
        time_entries,
        **BY_PROJECT,
        format={"kind": "currency", "currency": "EUR"},
    )["table"]

    assert table["columns"] == [
        {"name": "Project name", "numeric": False},
        {"name": "Hours", "numeric": True},
    ]
    assert table["rows"][0] == [
        {"v": "Apollo", "t": "Apollo"},
        {"v": 10.0, "t": "€10.00"},
    ]


@pytest.mark.parametrize(
    "kind",
    ["bar", "line", "area", "pie", "gauge", "number", "scatter", "heatmap", "table"],
)
def test_it_handles_a_single_row(workspace, owner, kind):
    source = make_source(
        workspace, owner, [{"project": {"name": "Solo"}, "hours": -1.5}]
    )

    result = payload(kind, source, **BY_PROJECT)

    assert result["empty"] is None
    json.dumps(result)


@pytest.mark.parametrize("kind", ["bar", "line", "pie", "gauge", "number", "table"])
def test_it_shows_an_empty_state_for_a_never_refreshed_source(workspace, owner, kind):
    source = make_source(
        workspace,
        owner,
        None,
        columns=[
            {"name": "Project name", "path": "project.name", "type": "text"},
            {"name": "Hours", "path": "hours", "type": "hours"},
        ],
    )

    result = payload(kind, source, **BY_PROJECT)

    assert result["empty"] == "No data yet: the source has never been refreshed."


def test_it_truncates_long_labels_but_keeps_them_in_hover(workspace, owner):
    long_name = "A very long project name that goes on and on and on"
    source = make_source(
        workspace, owner, [{"project": {"name": long_name}, "hours": 1.0}]
    )

    figure = payload("bar", source, **BY_PROJECT)["figure"]

    assert list(figure["data"][0]["x"]) == [long_name]
    tick = figure["layout"]["xaxis"]["ticktext"][0]
    assert len(tick) == 28 and tick.endswith("…")


def test_it_formats_values():
    assert format_value(1234.5, NumberFormat(kind="hours")) == "1,234.50 h"
    assert (
        format_value(-5, NumberFormat(kind="currency", currency="CHF")) == "-CHF 5.00"
    )
    assert format_value(12.345, NumberFormat(kind="percent")) == "12.3%"
    assert format_value(1234, NumberFormat(kind="integer")) == "1,234"
    assert escape_text("<a & b>") == "&lt;a &amp; b&gt;"


SHAPES = {
    "total": {"measures": [{"column": "Hours", "agg": "sum"}]},
    "one group": BY_PROJECT,
    "two groups": {
        "group_by": [{"column": "Project name"}, {"column": "User name"}],
        "measures": [{"column": "Hours", "agg": "avg"}, {"agg": "count"}],
    },
    "listing": {"columns": ["Project name", "Hours"]},
}


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(
    "kind",
    ["bar", "line", "area", "pie", "gauge", "number", "scatter", "heatmap", "table"],
)
def test_it_draws_every_kind_or_says_what_it_needs(time_entries, kind, shape):
    from klips.render import check_kind

    parsed = parse_spec({"sources": [time_entries.pk], **SHAPES[shape]})
    try:
        check_kind(kind, parsed)
    except SpecError as error:
        assert shape in {"total", "listing"}
        assert str(error).startswith(f"A {kind} Klip needs a")
        return

    result = payload(kind, time_entries, **SHAPES[shape])

    assert result["empty"] is None
    assert ("table" if kind == "table" else "figure") in result


def test_amounts_split_by_currency_get_no_single_currency_symbol(workspace, owner):
    rows = [
        {"client": "Kestrel", "currency": "EUR", "uninvoiced_amount": 1200.0},
        {"client": "Marlow", "currency": "GBP", "uninvoiced_amount": 800.5},
        {"client": "Harbor", "currency": "USD", "uninvoiced_amount": 50.0},
    ]
    source = make_source(workspace, owner, rows)
    amount = {"column": "Uninvoiced amount", "agg": "sum", "label": "Amount"}

    split = payload(
        "bar",
        source,
        group_by=[{"column": "Client"}, {"column": "Currency"}],
        measures=[amount],
    )["figure"]
    single = payload("bar", source, group_by=[{"column": "Client"}], measures=[amount])[
        "figure"
    ]

    assert [trace["name"] for trace in split["data"]] == ["USD", "EUR", "GBP"]
    assert split["layout"]["yaxis"].get("tickprefix", "") == ""
    assert split["data"][0]["hovertemplate"].count("$") == 0
    assert single["layout"]["yaxis"]["tickprefix"] == "$"
