from datetime import date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from datasources.relative_dates import (
    UnknownPlaceholder,
    dates_for,
    resolve,
    today_in,
    week_start_index,
    zone_for,
)

MONDAY, SATURDAY, SUNDAY = 0, 5, 6


def test_it_starts_weeks_on_the_company_week_start_day():
    sunday = date(2026, 3, 1)

    monday_week = dates_for(sunday, MONDAY)
    sunday_week = dates_for(sunday, SUNDAY)
    saturday_week = dates_for(sunday, SATURDAY)

    assert (monday_week["start_of_week"], monday_week["end_of_week"]) == (
        date(2026, 2, 23),
        date(2026, 3, 1),
    )
    assert (sunday_week["start_of_week"], sunday_week["end_of_week"]) == (
        date(2026, 3, 1),
        date(2026, 3, 7),
    )
    assert (saturday_week["start_of_week"], saturday_week["end_of_week"]) == (
        date(2026, 2, 28),
        date(2026, 3, 6),
    )
    assert monday_week["start_of_last_week"] == date(2026, 2, 16)
    assert monday_week["end_of_last_week"] == date(2026, 2, 22)


def test_it_maps_harvest_week_start_names():
    assert week_start_index("Sunday") == SUNDAY
    assert week_start_index("Saturday") == SATURDAY
    assert week_start_index("Monday") == MONDAY
    assert week_start_index(None) == MONDAY


def test_it_handles_a_leap_month_end():
    dates = dates_for(date(2024, 2, 29))

    assert dates["start_of_month"] == date(2024, 2, 1)
    assert dates["end_of_month"] == date(2024, 2, 29)
    assert dates["start_of_last_month"] == date(2024, 1, 1)
    assert dates["end_of_last_month"] == date(2024, 1, 31)
    assert dates["start_of_quarter"] == date(2024, 1, 1)
    assert dates["end_of_quarter"] == date(2024, 3, 31)
    assert dates["start_of_last_quarter"] == date(2023, 10, 1)
    assert dates["end_of_last_quarter"] == date(2023, 12, 31)


def test_it_crosses_the_year_end():
    dates = dates_for(date(2026, 12, 31))

    assert dates["tomorrow"] == date(2027, 1, 1)
    assert dates["end_of_month"] == date(2026, 12, 31)
    assert dates["start_of_last_month"] == date(2026, 11, 1)
    assert dates["start_of_quarter"] == date(2026, 10, 1)
    assert dates["end_of_last_quarter"] == date(2026, 9, 30)
    assert dates["start_of_last_year"] == date(2025, 1, 1)
    assert dates["end_of_last_year"] == date(2025, 12, 31)


def test_it_fills_a_query_url_template():
    template = "/v2/time_entries?from={{start_of_month}}&to={{end_of_month}}"

    assert resolve(template, date(2026, 4, 30)) == (
        "/v2/time_entries?from=2026-04-01&to=2026-04-30"
    )
    assert resolve("from={{days_ago:30}}&to={{ today }}", date(2024, 3, 1)) == (
        "from=2024-01-31&to=2024-03-01"
    )
    assert resolve("to={{days_ahead:7}}", date(2026, 12, 28)) == "to=2027-01-04"


def test_it_rejects_an_unknown_placeholder():
    with pytest.raises(UnknownPlaceholder, match="start_of_decade"):
        resolve("/v2/time_entries?from={{start_of_decade}}", date(2026, 1, 1))


@pytest.mark.parametrize(
    ("utc_moment", "zone", "local_day"),
    [
        # New York springs forward on 8 March 2026: 04:30 UTC is already 00:30 EDT.
        ("2026-03-09T04:30:00+00:00", "America/New_York", date(2026, 3, 9)),
        # One day earlier, still EST: 04:30 UTC is 23:30 the evening before.
        ("2026-03-08T04:30:00+00:00", "America/New_York", date(2026, 3, 7)),
        # Berlin springs forward on 29 March: 22:30 UTC is 00:30 CEST next day.
        ("2026-03-29T22:30:00+00:00", "Europe/Berlin", date(2026, 3, 30)),
        # Berlin falls back on 25 October: 22:30 UTC is 23:30 CET, same day.
        ("2026-10-25T22:30:00+00:00", "Europe/Berlin", date(2026, 10, 25)),
    ],
)
def test_it_takes_today_in_the_zone_across_dst(utc_moment, zone, local_day):
    assert today_in(ZoneInfo(zone), datetime.fromisoformat(utc_moment)) == local_day


def test_it_starts_the_week_on_the_local_day_after_dst():
    moment = datetime.fromisoformat("2026-03-09T04:30:00+00:00")
    today = today_in(ZoneInfo("America/New_York"), moment)

    assert resolve("{{start_of_week}}/{{yesterday}}", today, MONDAY) == (
        "2026-03-09/2026-03-08"
    )
    assert resolve("{{start_of_week}}", today_in(ZoneInfo("UTC"), moment)) == (
        "2026-03-09"
    )
    berlin_sunday = today_in(
        ZoneInfo("Europe/Berlin"), datetime.fromisoformat("2026-03-29T21:30:00+00:00")
    )
    assert resolve("{{start_of_week}}", berlin_sunday, MONDAY) == "2026-03-23"


def test_it_prefers_the_workspace_zone_then_the_harvest_user_zone():
    workspace = SimpleNamespace(time_zone="Europe/Berlin")
    no_zone = SimpleNamespace(time_zone="")
    connection = SimpleNamespace(harvest_time_zone="Eastern Time (US & Canada)")

    assert zone_for(workspace, connection) == ZoneInfo("Europe/Berlin")
    assert zone_for(no_zone, connection) == ZoneInfo("America/New_York")
    assert zone_for(
        no_zone, SimpleNamespace(harvest_time_zone="Pacific Time (US & Canada)")
    ) == ZoneInfo("America/Los_Angeles")
    assert zone_for(no_zone, SimpleNamespace(harvest_time_zone="Nowhere")) == ZoneInfo(
        "UTC"
    )
    assert zone_for(no_zone, None) == ZoneInfo("UTC")
