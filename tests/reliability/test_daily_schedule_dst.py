"""Daily schedules across DST changes: exactly one run per local day, at the chosen
local time (or just after a skipped hour), whatever the run's duration."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from datasources.schedule import next_daily

# (zone, a day before its change, the change day) in 2026.
CHANGES = [
    ("Europe/Berlin", date(2026, 3, 29)),  # 02:00 -> 03:00
    ("Europe/Berlin", date(2026, 10, 25)),  # 03:00 -> 02:00
    ("America/New_York", date(2026, 3, 8)),  # 02:00 -> 03:00
    ("America/New_York", date(2026, 11, 1)),  # 02:00 -> 01:00
    ("Australia/Lord_Howe", date(2026, 4, 5)),  # 02:00 -> 01:30 (30 minutes)
    ("Australia/Lord_Howe", date(2026, 10, 4)),  # 02:00 -> 02:30 (30 minutes)
]
# Every quarter hour of the day, so the skipped and repeated ones are included.
DAILY_TIMES = [time(minutes // 60, minutes % 60) for minutes in range(0, 1440, 15)]
# How long a run takes before the next one is scheduled (a tick, a slow source,
# a run that outlasts a repeated hour).
DURATIONS = [timedelta(0), timedelta(seconds=30), timedelta(minutes=45)]
DAYS = 6


def _simulate(zone: ZoneInfo, at: time, start: datetime, end: datetime) -> list:
    """Start times of the runs a ticker makes between start and end."""
    runs = []
    for duration in DURATIONS:
        due = next_daily(start, at, zone)
        while due < end:
            runs.append((duration, due))
            # The ticker's clock is UTC (timezone.now()), never local wall time.
            finished = due.astimezone(UTC) + duration
            following = next_daily(finished, at, zone)
            assert following > finished, (at, due, duration)
            due = following
    return runs


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    """The wall clock in `zone` at that instant (via UTC, so a skipped local time
    shows as the time it really is)."""
    return moment.astimezone(UTC).astimezone(zone)


def _local_minutes(moment: datetime, zone: ZoneInfo) -> int:
    local = _local(moment, zone)
    return local.hour * 60 + local.minute


@pytest.mark.parametrize(("zone_name", "change_day"), CHANGES)
def test_a_daily_schedule_runs_once_per_local_day_across_dst(zone_name, change_day):
    zone = ZoneInfo(zone_name)
    first_day = change_day - timedelta(days=DAYS // 2)
    start = datetime.combine(first_day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(first_day + timedelta(days=DAYS), time(0), tzinfo=zone)
    expected_days = [first_day + timedelta(days=n) for n in range(DAYS)]

    for at in DAILY_TIMES:
        runs = _simulate(zone, at, start - timedelta(seconds=1), end.astimezone(UTC))

        for duration in DURATIONS:
            days = [_local(due, zone).date() for d, due in runs if d == duration]
            assert days == expected_days, (zone_name, at, duration)
        for _, due in runs:
            wanted = at.hour * 60 + at.minute
            shifted = _local_minutes(due, zone) - wanted
            # Exactly on time, or pushed past a skipped half hour / hour.
            assert shifted in (0, 30, 60), (zone_name, at, due)
            assert shifted == 0 or _local(due, zone).date() == change_day


def test_lord_howe_repeats_a_half_hour_and_the_first_one_runs():
    zone = ZoneInfo("Australia/Lord_Howe")
    # 5 April 2026: 02:00 (+11:00) becomes 01:30 (+10:30); 01:45 happens twice.
    after_yesterday = datetime(2026, 4, 4, 12, 0, tzinfo=UTC)

    first = next_daily(after_yesterday, time(1, 45), zone)
    after_a_long_run = next_daily(first + timedelta(minutes=40), time(1, 45), zone)

    assert first.astimezone(UTC) == datetime(2026, 4, 4, 14, 45, tzinfo=UTC)
    assert after_a_long_run.astimezone(UTC) == datetime(2026, 4, 5, 15, 15, tzinfo=UTC)


def test_lord_howe_skips_a_half_hour_and_runs_just_after_it():
    zone = ZoneInfo("Australia/Lord_Howe")
    # 4 October 2026: 02:00 (+10:30) becomes 02:30 (+11:00); 02:15 never happens.
    after_yesterday = datetime(2026, 10, 3, 12, 0, tzinfo=UTC)

    due = next_daily(after_yesterday, time(2, 15), zone)

    assert due.astimezone(UTC) == datetime(2026, 10, 3, 15, 45, tzinfo=UTC)
    assert _local(due, zone).strftime("%H:%M %z") == "02:45 +1100"
