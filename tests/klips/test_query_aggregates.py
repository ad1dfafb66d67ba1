from datetime import date

import pytest

from klips.query import NEVER_REFRESHED, NO_MATCH, NO_ROWS, run_klip
from klips.spec import SpecError, parse_spec
from tests.klips.conftest import make_source

TODAY = date(2026, 12, 9)


def run(source, **spec):
    parsed = parse_spec({"sources": [source.pk], **spec})
    return run_klip(parsed, {source.pk: source}, today=TODAY)


def test_it_sums_hours_by_project(time_entries):
    result = run(
        time_entries,
        group_by=[{"column": "Project name"}],
        measures=[{"column": "Hours", "agg": "sum", "label": "Hours"}],
    )

    assert [c.name for c in result.columns] == ["Project name", "Hours"]
    assert result.rows == [["Apollo", 10.0], ["Borealis", 7.0], ["Cygnus", 0.5]]
    assert result.reason is None


def test_it_counts_averages_and_counts_distinct(time_entries):
    result = run(
        time_entries,
        group_by=[{"column": "Project name"}],
        measures=[
            {"agg": "count"},
            {"column": "Hours", "agg": "avg"},
            {"column": "User name", "agg": "count_distinct"},
            {"column": "Hours", "agg": "min"},
            {"column": "Hours", "agg": "max"},
        ],
    )

    assert [c.name for c in result.columns] == [
        "Project name",
        "Count",
        "Avg of Hours",
        "Count distinct of User name",
        "Min of Hours",
        "Max of Hours",
    ]
    assert result.rows == [
        ["Apollo", 3, pytest.approx(10 / 3), 2, 1.5, 6.0],
        ["Borealis", 2, 3.5, 1, 3.0, 4.0],
        ["Cygnus", 1, 0.5, 1, 0.5, 0.5],
    ]


def test_it_buckets_dates_by_iso_week(time_entries):
    result = run(
        time_entries,
        group_by=[{"column": "Spent date", "bucket": "week"}],
        measures=[{"column": "Hours", "agg": "sum"}],
    )

    assert result.columns[0].name == "Spent date (week)"
    assert result.rows == [["2026-11-30", 8.0], ["2026-12-07", 9.5]]


def test_it_groups_by_week_and_project(time_entries):
    result = run(
        time_entries,
        group_by=[
            {"column": "Spent date", "bucket": "week"},
            {"column": "Project name"},
        ],
        measures=[{"column": "Hours", "agg": "sum"}],
    )

    assert result.rows == [
        ["2026-11-30", "Apollo", 4.0],
        ["2026-11-30", "Borealis", 4.0],
        ["2026-12-07", "Apollo", 6.0],
        ["2026-12-07", "Borealis", 3.0],
        ["2026-12-07", "Cygnus", 0.5],
    ]


def test_it_totals_without_group_by(time_entries):
    result = run(time_entries, measures=[{"column": "Hours", "agg": "sum"}])

    assert result.rows == [[17.5]]


def test_it_computes_formulas(time_entries):
    result = run(
        time_entries,
        group_by=[{"column": "Project name"}],
        measures=[
            {"column": "Hours", "agg": "sum", "label": "Total"},
            {"agg": "count", "label": "Entries"},
        ],
        formulas=[
            {"label": "Per entry", "op": "ratio", "left": "Total", "right": "Entries"},
            {"label": "Gap", "op": "difference", "left": "Total", "right": "Entries"},
            {"label": "Pct", "op": "percent", "left": "Entries", "right": "Total"},
        ],
    )

    assert result.rows[1] == ["Borealis", 7.0, 2, 3.5, 5.0, pytest.approx(200 / 7)]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (
            [{"column": "Project name", "op": "eq", "value": "Apollo"}],
            [["Apollo", 10.0]],
        ),
        (
            [{"column": "Project name", "op": "ne", "value": "Apollo"}],
            [["Borealis", 7.0], ["Cygnus", 0.5]],
        ),
        (
            [{"column": "Hours", "op": "gt", "value": 3}],
            [["Apollo", 6.0], ["Borealis", 4.0]],
        ),
        (
            [{"column": "Hours", "op": "lte", "value": "1.5"}],
            [["Apollo", 1.5], ["Cygnus", 0.5]],
        ),
        (
            [{"column": "Project name", "op": "contains", "value": "OREA"}],
            [["Borealis", 7.0]],
        ),
        (
            [{"column": "Project name", "op": "in", "value": ["Cygnus", "Borealis"]}],
            [["Borealis", 7.0], ["Cygnus", 0.5]],
        ),
        ([{"column": "Billable", "op": "eq", "value": False}], [["Cygnus", 0.5]]),
        (
            [{"column": "Spent date", "op": "gte", "value": "2026-12-07"}],
            [["Apollo", 6.0], ["Borealis", 3.0], ["Cygnus", 0.5]],
        ),
        # Today is Wednesday 2026-12-09: this week starts Monday 2026-12-07.
        (
            [{"column": "Spent date", "op": "within", "value": "this_week"}],
            [["Apollo", 6.0], ["Borealis", 3.0], ["Cygnus", 0.5]],
        ),
        (
            [{"column": "Spent date", "op": "within", "value": "last_week"}],
            [["Apollo", 4.0], ["Borealis", 4.0]],
        ),
        (
            [{"column": "Spent date", "op": "within", "value": "last_month"}],
            [["Apollo", 2.5]],
        ),
        ([{"column": "Project name", "op": "is_null"}], []),
        (
            [
                {"column": "Project name", "op": "not_null"},
                {"column": "Hours", "op": "lt", "value": 1},
            ],
            [["Cygnus", 0.5]],
        ),
    ],
)
def test_it_filters(time_entries, filters, expected):
    result = run(
        time_entries,
        group_by=[{"column": "Project name"}],
        measures=[{"column": "Hours", "agg": "sum"}],
        filters=filters,
    )

    assert result.rows == expected
    assert result.reason == (None if expected else NO_MATCH)


def test_it_keeps_top_n_and_groups_the_rest_as_other(workspace, owner):
    records = [
        {"project": {"name": f"P{i:02d}"}, "hours": float(i)} for i in range(1, 21)
    ]
    records.append({"project": {"name": "Other"}, "hours": 0.25})
    source = make_source(workspace, owner, records)

    result = run(
        source,
        group_by=[{"column": "Project name"}],
        measures=[{"column": "Hours", "agg": "sum"}],
        top_n=3,
    )

    rest = sum(range(1, 18)) + 0.25
    assert result.rows == [["P20", 20.0], ["P19", 19.0], ["P18", 18.0], ["Other", rest]]


def test_it_sorts_and_limits(time_entries):
    result = run(
        time_entries,
        group_by=[{"column": "Project name"}],
        measures=[{"column": "Hours", "agg": "sum", "label": "Hours"}],
        sort=[{"by": "Hours", "direction": "desc"}],
        limit=2,
    )

    assert result.rows == [["Apollo", 10.0], ["Borealis", 7.0]]
    assert result.truncated is True


def test_it_lists_plain_columns(time_entries):
    result = run(
        time_entries,
        columns=["Spent date", "Project name", "Hours"],
        sort=[{"by": "Hours", "direction": "desc"}],
        limit=2,
    )

    assert result.rows == [
        ["2026-12-09", "Apollo", 6.0],
        ["2026-12-02", "Borealis", 4.0],
    ]


def test_it_names_a_missing_column(time_entries):
    with pytest.raises(SpecError, match="'Client name'"):
        run(
            time_entries,
            group_by=[{"column": "Client name"}],
            measures=[{"column": "Hours", "agg": "sum"}],
        )


def test_it_reports_a_never_refreshed_source(workspace, owner):
    source = make_source(
        workspace,
        owner,
        None,
        columns=[{"name": "Hours", "path": "hours", "type": "hours"}],
    )

    result = run(source, measures=[{"column": "Hours", "agg": "sum"}])

    assert (result.rows, result.reason) == ([], NEVER_REFRESHED)


def test_it_reports_a_source_without_rows(workspace, owner):
    source = make_source(
        workspace,
        owner,
        [],
        columns=[{"name": "Hours", "path": "hours", "type": "hours"}],
    )

    result = run(source, measures=[{"column": "Hours", "agg": "sum"}])

    assert (result.rows, result.reason) == ([], NO_ROWS)


def test_it_reads_a_modelled_column_missing_from_the_file_as_null(time_entries):
    time_entries.columns = [
        *time_entries.columns,
        {"name": "Task name", "path": "task.name", "type": "text"},
    ]

    result = run(
        time_entries,
        group_by=[{"column": "Task name"}],
        measures=[{"column": "Hours", "agg": "sum"}],
    )

    assert result.rows == [[None, 17.5]]


def test_it_follows_a_renamed_column(time_entries):
    for column in time_entries.columns:
        if column["path"] == "project.name":
            column["name"] = "Project"

    result = run(
        time_entries,
        group_by=[{"column": "Project"}],
        measures=[{"column": "Hours", "agg": "sum"}],
        limit=1,
    )

    assert result.rows == [["Apollo", 10.0]]


def test_it_compares_datetimes_by_day_in_the_workspace_zone(workspace, owner):
    source = make_source(
        workspace,
        owner,
        [
            {"created_at": "2026-12-01T08:00:00Z", "hours": 1.0},
            {"created_at": "2026-12-01T23:30:00Z", "hours": 2.0},
            {"created_at": "2026-12-02T09:00:00Z", "hours": 4.0},
        ],
    )
    spec = parse_spec(
        {
            "sources": [source.pk],
            "measures": [{"column": "Hours", "agg": "sum"}],
            "filters": [{"column": "Created at", "op": "eq", "value": "2026-12-01"}],
        }
    )

    utc = run_klip(spec, {source.pk: source}, today=TODAY)
    berlin = run_klip(spec, {source.pk: source}, today=TODAY, time_zone="Europe/Berlin")

    # 23:30 UTC is already 2 December in Berlin.
    assert (utc.rows, berlin.rows) == ([[3.0]], [[1.0]])


def test_it_averages_the_other_group_over_its_rows(workspace, owner):
    hours_by_project = {"A": [10], "B": [8], "C": [1, 1, 1, 5], "D": [4]}
    source = make_source(
        workspace,
        owner,
        [
            {"project": {"name": name}, "hours": float(hours)}
            for name, values in hours_by_project.items()
            for hours in values
        ],
    )

    result = run(
        source,
        group_by=[{"column": "Project name"}],
        measures=[{"column": "Hours", "agg": "avg"}],
        top_n=2,
    )

    # Other is C's and D's rows together (2.4), not the mean of their means (3).
    assert result.rows == [["A", 10.0], ["B", 8.0], ["Other", 2.4]]


def test_it_reports_a_never_refreshed_source_before_its_columns_exist(workspace, owner):
    source = make_source(workspace, owner, None, columns=[])
    # A path no recipe reads: nothing to borrow columns from either.
    source.query_url = "/v2/invoice_item_categories"
    source.save(update_fields=["query_url"])

    result = run(
        source,
        group_by=[{"column": "Project name"}],
        measures=[{"column": "Hours", "agg": "sum"}],
    )

    assert (result.columns, result.rows, result.reason) == ([], [], NEVER_REFRESHED)
