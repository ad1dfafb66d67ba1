"""Services failing under the real processes (web, worker, two beats, sandbox):
two beats started by mistake, and Redis (broker, cache, rate limiter) stopped."""

import os
import subprocess
import time

import pytest

from .services_stack import ServicesStack, all_succeeded, make_sources, wait_until

pytestmark = pytest.mark.slow

SOURCES = 24
TICK_SECONDS = 2  # the stack's SCHEDULER_TICK_SECONDS
# The 60 s: several ticks, refresh attempts and reconnect rounds of every
# process happen while Redis is gone.
REDIS_DOWN_SECONDS = 60
REDIS_START = [
    "redis-server",
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "-::1",
    "--port",
    "6379",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    "/var/lib/redis",
    "--logfile",
    "/var/log/redis/ci.log",
]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    running = ServicesStack(
        data_dir=tmp_path_factory.mktemp("outages"), sandbox_entries=300
    )
    try:
        running.start()
        running.start_second_beat()
        yield running
    finally:
        running.stop()


def test_two_beats_queue_each_due_source_once(stack):
    sources = make_sources(stack, SOURCES, due_in_seconds=4)

    wait_until(lambda: all_succeeded(stack, sources), timeout=60)
    # Three more ticks of both beats: nothing is due again for 15 minutes.
    time.sleep(3 * TICK_SECONDS + 1)
    runs = all_succeeded(stack, sources)

    assert runs == {str(source): [["succeeded", "schedule"]] for source in sources}
    for beat in ("beat", "beat2"):
        assert "Sending due task due-work-ticker" in stack.log(beat), beat


def _redis_up() -> bool:
    answer = subprocess.run(
        ["redis-cli", "-p", "6379", "ping"], capture_output=True, text=True
    )
    return answer.stdout.strip() == "PONG"


def _start_redis() -> None:
    if not _redis_up():
        subprocess.run(REDIS_START, check=True, timeout=30)
    wait_until(_redis_up, timeout=30, every=0.5)


def _dashboard_with_a_klip(stack, source_id: int) -> list[int]:
    return stack.shell(
        f"""
source = DataSource.objects.get(pk={source_id})
dashboard = Dashboard.objects.create(workspace=workspace, owner=user, name="Ops")
klip = Klip.objects.create(
    dashboard=dashboard, name="Rows", kind="number",
    spec={{"sources": [source.pk], "measures": [{{"agg": "count"}}]}},
)
klip.sources.set([source])
result = [dashboard.pk, klip.pk]
"""
    )


def test_redis_down_keeps_dashboards_up_and_refreshes_after(stack):
    if not os.environ.get("REDIS_URL"):
        pytest.skip("Redis outage: only in the PostgreSQL+Redis pass (REDIS_URL)")
    served = make_sources(stack, 1, due_in_seconds=0)
    wait_until(lambda: all_succeeded(stack, served), timeout=60)
    dashboard_id, klip_id = _dashboard_with_a_klip(stack, served[0])
    session = stack.signed_in_session()
    # Due while Redis is down: the ticker cannot queue them until it is back.
    due_later = make_sources(stack, 6, due_in_seconds=3)
    answers = {}

    subprocess.run(["redis-cli", "-p", "6379", "shutdown", "nosave"], timeout=30)
    try:
        wait_until(lambda: not _redis_up(), timeout=10, every=0.2)
        requests_before = stack.harvest_requests()
        down_since = time.monotonic()
        answers = _use_the_app_while_down(
            stack, session, served[0], dashboard_id, klip_id
        )
        time.sleep(max(0.0, REDIS_DOWN_SECONDS - (time.monotonic() - down_since)))
        requests_during = stack.harvest_requests() - requests_before
    finally:
        _start_redis()

    refresh_status, refresh_page, refresh_took = answers.pop("refresh now")
    assert answers == {"dashboard": 200, "klip": (200, True), "source page": 200}
    assert (refresh_status, "Refresh queued." in refresh_page) == (200, True)
    assert refresh_took < 5  # seconds: it did not wait for Redis
    assert requests_during == 0
    # Back up: every due source runs once, the manual refresh too.
    runs = wait_until(lambda: all_succeeded(stack, due_later), timeout=60)
    assert runs == {str(source): [["succeeded", "schedule"]] for source in due_later}
    # "Refresh now" could not reach the queue: its run says so, the source was
    # made due, and the ticker refreshed it once the queue was back.
    manual = wait_until(lambda: _manual_run_done(stack, served[0]), timeout=60)
    assert manual == [
        ["succeeded", "schedule"],
        ["failed", "manual"],
        ["succeeded", "schedule"],
    ]


def _use_the_app_while_down(stack, session, source_id, dashboard_id, klip_id) -> dict:
    dashboard = session.get(f"{stack.url}/dashboards/{dashboard_id}/", timeout=30)
    klip = session.get(
        f"{stack.url}/dashboards/{dashboard_id}/klips/{klip_id}/data/", timeout=30
    )
    source_page = session.get(f"{stack.url}/sources/{source_id}/", timeout=30)
    started = time.monotonic()
    refresh = session.post(
        f"{stack.url}/sources/{source_id}/refresh/",
        data={"csrfmiddlewaretoken": session.cookies["csrftoken"]},
        timeout=60,
    )
    took = time.monotonic() - started
    klip_ok = klip.status_code == 200 and "figure" in klip.text
    return {
        "dashboard": dashboard.status_code,
        "klip": (klip.status_code, klip_ok),
        "source page": source_page.status_code,
        "refresh now": (refresh.status_code, refresh.text[:20000], took),
    }


def _manual_run_done(stack, source_id: int) -> list | None:
    runs = stack.shell(
        f"""
result = [
    [run.status, run.trigger]
    for run in RefreshRun.objects.filter(source_id={source_id}).order_by("pk")
]
"""
    )
    finished = all(status in ("succeeded", "failed") for status, _ in runs)
    return runs if finished and len(runs) >= 3 else None
