from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from datasources.schedule import describe, next_daily, next_run_after

from .conftest import make_source

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_daily_runs_keep_the_local_time_across_dst():
    six = time(6, 0)

    # Berlin: CET (UTC+1) until 29 March 2026, CEST (UTC+2) after.
    assert next_daily(_utc("2026-03-27T12:00"), six, BERLIN) == _utc("2026-03-28T05:00")
    assert next_daily(_utc("2026-03-28T12:00"), six, BERLIN) == _utc("2026-03-29T04:00")
    assert next_daily(_utc("2026-03-29T05:00"), six, BERLIN) == _utc("2026-03-30T04:00")
    # New York falls back on 1 November 2026: EDT (UTC-4) to EST (UTC-5).
    assert next_daily(_utc("2026-10-31T12:00"), six, NEW_YORK) == _utc(
        "2026-11-01T11:00"
    )
    assert next_daily(_utc("2026-11-01T12:00"), six, NEW_YORK) == _utc(
        "2026-11-02T11:00"
    )


def test_a_daily_run_later_today_is_today():
    assert next_daily(_utc("2026-06-10T03:59"), time(6), BERLIN) == _utc(
        "2026-06-10T04:00"
    )


def test_next_run_follows_the_sources_schedule(owner, workspace, connection):
    now = _utc("2026-06-10T10:00")
    every_4h = make_source(owner, workspace, connection, refresh_minutes=240)
    daily = make_source(
        owner, workspace, connection, refresh_minutes=None, daily_at=time(7, 30)
    )
    manual = make_source(owner, workspace, connection, refresh_minutes=None)
    workspace.time_zone = "America/New_York"
    workspace.save()
    daily.refresh_from_db()

    assert next_run_after(every_4h, now) == now + timedelta(hours=4)
    assert next_run_after(daily, now) == _utc("2026-06-10T11:30")
    assert next_run_after(manual, now) is None
    assert describe(every_4h) == "Every 4 hours"
    assert describe(daily) == "Daily at 07:30"
    assert describe(manual) == "Manual only"


def test_a_new_source_is_scheduled_as_a_safety_net(
    owner, workspace, connection, monkeypatch
):
    from datasources import actions, tasks
    from datasources.refresh import lock_lease

    monkeypatch.setattr(tasks.refresh, "delay", lambda run_id: None)
    before = timezone.now()
    common = {
        "workspace": workspace,
        "owner": owner,
        "connection": connection,
        "account_id": 1122334,
        "name": "New",
        "query_url": "/v2/projects",
    }

    queued_now = actions.create_source(**common, refresh_minutes=60)
    for_the_ticker = actions.create_source(
        **common, refresh_minutes=60, refresh_now=False
    )
    manual = actions.create_source(**common, refresh_minutes=None)

    assert before + lock_lease() <= queued_now.next_run_at
    assert queued_now.next_run_at <= timezone.now() + lock_lease()
    assert before <= for_the_ticker.next_run_at <= timezone.now()
    assert manual.next_run_at is None
    assert queued_now.runs.count() == 1
    assert for_the_ticker.runs.count() == 0
