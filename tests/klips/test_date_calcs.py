"""Date calculations: per-row date arithmetic against today, as a parameter."""

from datetime import date

import pytest

from klips import gallery
from klips.query import compile_spec, run_klip, sides_for
from klips.render import render
from klips.spec import SpecError, parse_spec
from tests.klips.conftest import make_source

TODAY = date(2026, 12, 4)

PROJECTS = [
    # 30 days long, 10 gone by on 4 December.
    {"id": 1, "name": "Apollo", "starts_on": "2026-11-24", "ends_on": "2026-12-24"},
    # Not started yet: nothing gone by.
    {"id": 2, "name": "Borealis", "starts_on": "2026-12-14", "ends_on": "2027-01-13"},
    # Ended: all of it gone by, not more.
    {"id": 3, "name": "Cygnus", "starts_on": "2026-10-01", "ends_on": "2026-11-01"},
    # No end date: no share.
    {"id": 4, "name": "Dorado", "starts_on": "2026-11-01", "ends_on": None},
]

BUDGETS = [
    # Budget report rows: hours or money spent against the budget.
    {"project_id": 1, "project_name": "Apollo", "budget": 200.0, "budget_spent": 90.0},
    {"project_id": 2, "project_name": "Borealis", "budget": 50.0, "budget_spent": 5.0},
    {"project_id": 3, "project_name": "Cygnus", "budget": 80.0, "budget_spent": 100.0},
]


@pytest.fixture
def projects(workspace, owner):
    return make_source(workspace, owner, PROJECTS, name="Projects (active)")


def _rows(source, **spec):
    parsed = parse_spec({"sources": [source.pk], **spec})
    return run_klip(parsed, {source.pk: source}, today=TODAY).rows


def test_it_counts_days_since_until_and_between_and_the_share_gone_by(projects):
    calcs = [
        {"label": "Days in", "op": "days_since", "start": "Starts on"},
        {"label": "Days left", "op": "days_until", "end": "Ends on"},
    ]
    elapsed = {
        "label": "Elapsed",
        "op": "elapsed_percent",
        "start": "Starts on",
        "end": "Ends on",
    }
    length = {
        "label": "Length",
        "op": "days_between",
        "start": "Starts on",
        "end": "Ends on",
    }

    days = _rows(projects, date_calcs=calcs, columns=["Name", "Days in", "Days left"])
    shares = _rows(
        projects,
        date_calcs=[elapsed, length],
        columns=["Name", "Elapsed", "Length"],
    )

    assert days == [
        ["Apollo", 10, 20],
        ["Borealis", -10, 40],
        ["Cygnus", 64, -33],
        ["Dorado", 33, None],
    ]
    assert shares == [
        ["Apollo", 100 * 10 / 30, 30],
        ["Borealis", 0.0, 30],
        ["Cygnus", 100.0, 31],
        ["Dorado", None, None],
    ]


def test_a_calculation_can_be_filtered_grouped_and_measured(projects):
    calc = {"label": "Days left", "op": "days_until", "end": "Ends on"}

    soon = _rows(
        projects,
        date_calcs=[calc],
        columns=["Name"],
        filters=[{"column": "Days left", "op": "lte", "value": 30}],
    )
    average = _rows(
        projects,
        date_calcs=[calc],
        measures=[{"column": "Days left", "agg": "avg", "label": "Average"}],
    )

    assert soon == [["Apollo"], ["Cygnus"]]
    assert average == [[(20 + 40 - 33) / 3]]


def test_today_is_a_parameter_and_the_sql_has_no_date_in_it(projects):
    spec = parse_spec(
        {
            "sources": [projects.pk],
            "date_calcs": [
                {"label": "Days in", "op": "days_since", "start": "Starts on"}
            ],
            "columns": ["Days in"],
        }
    )

    compiled = compile_spec(spec, sides_for(spec, {projects.pk: projects}), today=TODAY)

    assert TODAY in compiled.params
    assert "2026" not in compiled.sql


def test_it_refuses_calculations_that_cannot_run(projects):
    with pytest.raises(SpecError, match="needs an end date"):
        parse_spec(
            {
                "sources": [1],
                "date_calcs": [{"label": "E", "op": "elapsed_percent", "start": "S"}],
            }
        )
    with pytest.raises(SpecError, match="takes no end date"):
        parse_spec(
            {
                "sources": [1],
                "date_calcs": [
                    {"label": "E", "op": "days_since", "start": "S", "end": "F"}
                ],
            }
        )
    with pytest.raises(SpecError) as not_dates:
        _rows(
            projects,
            date_calcs=[{"label": "E", "op": "days_since", "start": "Name"}],
            columns=["E"],
        )
    with pytest.raises(SpecError) as taken:
        _rows(
            projects,
            date_calcs=[{"label": "Name", "op": "days_since", "start": "Starts on"}],
            columns=["Name"],
        )

    with pytest.raises(SpecError) as reserved:
        _rows(
            projects,
            date_calcs=[{"label": "__other", "op": "days_since", "start": "Starts on"}],
            columns=["__other"],
        )

    assert str(reserved.value) == (
        "Date calculation '__other': labels starting with __ are reserved"
    )
    assert str(not_dates.value) == (
        "Date calculation 'E' needs date columns; 'Name' is text"
    )
    assert str(taken.value) == (
        "Date calculation 'Name' has the name of a column of the source; give it "
        "another label"
    )


def test_the_gallery_draws_budget_used_next_to_time_elapsed(workspace, owner):
    budgets = make_source(workspace, owner, BUDGETS, name="Projects with budgets")
    projects = make_source(workspace, owner, PROJECTS, name="Projects (active)")
    item = gallery.get_klip("budget-burn-vs-time")
    spec = item.spec_for([budgets.pk, projects.pk])

    result = run_klip(spec, {budgets.pk: budgets, projects.pk: projects}, today=TODAY)
    bars = render(item.kind, spec, result)["figure"]

    assert result.rows == [
        ["Apollo", 90.0, 200.0, 100 * 10 / 30, 45.0],
        ["Borealis", 5.0, 50.0, 0.0, 10.0],
        ["Cygnus", 100.0, 80.0, 100.0, 125.0],
    ]
    assert [trace["name"] for trace in bars["data"]] == ["Time elapsed", "Budget used"]
    assert list(bars["data"][0]["y"]) == [100 * 10 / 30, 0.0, 100.0]
    assert list(bars["data"][1]["y"]) == [45.0, 10.0, 125.0]
    assert bars["layout"]["yaxis"]["ticksuffix"] == "%"
    assert bars["layout"]["shapes"][0]["y0"] == 100
