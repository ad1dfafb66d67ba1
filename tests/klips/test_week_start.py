"""Weeks start on the workspace's day: buckets and this/last-week windows."""

from datetime import date

import pytest

from klips.query import run_klip, window_dates
from klips.spec import RelativeWindow, parse_spec
from tests.klips.conftest import make_source

SATURDAY, SUNDAY, MONDAY = date(2026, 12, 5), date(2026, 12, 6), date(2026, 12, 7)
WEDNESDAY = date(2026, 12, 9)
HOURS = {"column": "Hours", "agg": "sum", "label": "Hours"}


@pytest.fixture
def entries(workspace, owner):
    return make_source(
        workspace,
        owner,
        [
            {"spent_date": SATURDAY.isoformat(), "hours": 1.0},
            {"spent_date": SUNDAY.isoformat(), "hours": 2.0},
            {"spent_date": MONDAY.isoformat(), "hours": 4.0},
        ],
    )


def _rows(source, **spec) -> list[tuple]:
    parsed = parse_spec({"sources": [source.pk], "measures": [HOURS], **spec})
    result = run_klip(parsed, {source.pk: source}, today=WEDNESDAY, use_cache=False)
    return [tuple(row) for row in result.rows]


@pytest.mark.parametrize(
    ("week_start", "weeks", "this_week", "last_week"),
    [
        (0, [("2026-11-30", 3.0), ("2026-12-07", 4.0)], 4.0, 3.0),
        (6, [("2026-11-29", 1.0), ("2026-12-06", 6.0)], 6.0, 1.0),
    ],
    ids=["monday", "sunday"],
)
def test_weeks_start_on_the_workspaces_day(
    entries, workspace, week_start, weeks, this_week, last_week
):
    workspace.week_start = week_start
    workspace.save()
    window = {"column": "Spent date", "op": "within"}

    by_week = _rows(entries, group_by=[{"column": "Spent date", "bucket": "week"}])
    this = _rows(entries, filters=[{**window, "value": "this_week"}])
    last = _rows(entries, filters=[{**window, "value": "last_week"}])

    assert by_week == weeks
    assert (this, last) == ([(this_week,)], [(last_week,)])


def test_window_dates_follow_the_week_start():
    assert window_dates(RelativeWindow.THIS_WEEK, WEDNESDAY, 6) == (
        SUNDAY,
        date(2026, 12, 13),
    )
    assert window_dates(RelativeWindow.LAST_WEEK, SUNDAY, 6) == (
        date(2026, 11, 29),
        SUNDAY,
    )
    assert window_dates(RelativeWindow.THIS_WEEK, SUNDAY, 0) == (
        date(2026, 11, 30),
        MONDAY,
    )
