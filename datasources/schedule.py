"""When a source refreshes next: every N minutes, daily at a local time, or never.

Failures push the next try back exponentially (2**failures minutes, capped), so
a broken source does not spend the rate limit shared with healthy ones.
"""

from datetime import UTC, datetime, time, timedelta

from datasources.models import DataSource
from datasources.relative_dates import zone_for

INTERVAL_CHOICES = [
    (15, "Every 15 minutes"),
    (30, "Every 30 minutes"),
    (60, "Every hour"),
    (240, "Every 4 hours"),
    (720, "Every 12 hours"),
]
BACKOFF_CAP_MINUTES = 360


def backoff(failure_count: int) -> timedelta:
    """How long to wait after the given number of consecutive failures."""
    exponent = min(max(failure_count, 0), 16)
    return timedelta(minutes=min(2**exponent, BACKOFF_CAP_MINUTES))


def next_daily(now: datetime, at: time, zone) -> datetime:
    """The next moment (in UTC) the local clock in `zone` shows `at`, after `now`.

    Compared in UTC: datetimes sharing a zone compare by wall clock, so in a
    repeated DST hour a time already run looked still ahead and ran twice. A
    time a DST change skips comes out just after the gap.
    """
    today = now.astimezone(zone).date()
    candidate = datetime.combine(today, at, tzinfo=zone).astimezone(UTC)
    if candidate <= now.astimezone(UTC):
        tomorrow = today + timedelta(days=1)
        candidate = datetime.combine(tomorrow, at, tzinfo=zone).astimezone(UTC)
    return candidate


def next_run_after(source: DataSource, now: datetime) -> datetime | None:
    """The next scheduled refresh after a successful one; None when manual."""
    if source.refresh_minutes:
        return now + timedelta(minutes=source.refresh_minutes)
    if source.daily_at is not None:
        zone = zone_for(source.workspace, source.connection)
        return next_daily(now, source.daily_at, zone)
    return None


def describe(source: DataSource) -> str:
    if source.refresh_minutes:
        labels = dict(INTERVAL_CHOICES)
        return labels.get(
            source.refresh_minutes, f"Every {source.refresh_minutes} minutes"
        )
    if source.daily_at is not None:
        return f"Daily at {source.daily_at:%H:%M}"
    return "Manual only"
