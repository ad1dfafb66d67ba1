"""Two real Celery workers, four sources on one token, 500 requests: the shared
limiter keeps them under Harvest's limit (no 429) and close to it (>= 90%)."""

from collections.abc import Iterator

import pytest
from django.test import override_settings

from bench.ratelimit_stack import (
    DIRECT_QUERY,
    WorkersStack,
    achieved_ratio,
    api_requests,
    overall_ratio,
    stack_for_tests,
)
from connectors.ratelimit import configured_rates
from sandbox.server import RunningSandbox, run_in_thread

# Windows scaled down on both sides (100 per 6 s) so 500 requests take ~25 s.
SCALE = 0.4
LIMIT = 100
WINDOW = 15 * SCALE
SOURCES = 4  # two workers x concurrency 2: all four refresh side by side
ENTRIES = 1250
PER_PAGE = 10  # 125 pages a source, 500 requests in all


@pytest.fixture(scope="module")
def sb() -> Iterator[RunningSandbox]:
    running = run_in_thread(entries=ENTRIES, general_limit=LIMIT, general_window=WINDOW)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def stack(sb: RunningSandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    started = stack_for_tests(
        tmp_path_factory.mktemp("workers"), sb, rate_limit_scale=SCALE
    )
    yield started
    started.stop()


@pytest.mark.slow
def test_two_workers_stay_under_and_near_the_limit_on_one_token(
    sb: RunningSandbox, stack: WorkersStack
) -> None:
    made = stack.create_sources(
        [DIRECT_QUERY.format(per_page=PER_PAGE)] * SOURCES, "sandbox-demo-pat"
    )
    sb.reset()
    sb.knobs.general_window = WINDOW

    run_ids = stack.queue(made["sources"])
    runs = stack.wait_for_runs(run_ids, timeout=180)

    requests = api_requests(sb)
    assert {status for status, _ in runs.values()} == {"succeeded"}, runs
    pages = [r for r in requests if r.path == "/api/v2/time_entries"]
    assert len(pages) == len(requests) == SOURCES * ENTRIES // PER_PAGE
    assert [r.status for r in requests].count(429) == 0
    ratio = achieved_ratio(requests, LIMIT, WINDOW)
    overall = overall_ratio(requests, LIMIT, WINDOW)
    print(f"requests={len(requests)} ratio={ratio:.3f} overall={overall:.3f}")
    assert ratio >= 0.9
    assert "worker1@" in stack.log("worker1") and "worker2@" in stack.log("worker2")
    assert "refresh task done" in stack.log("worker1")
    assert "refresh task done" in stack.log("worker2")


@override_settings(HARVEST_RATE_LIMIT_SCALE=0.4)
def test_the_limiter_windows_follow_the_scale_setting_with_a_margin() -> None:
    rates = configured_rates()

    assert (rates["general"].limit, rates["general"].interval) == (100, 6250)
    assert (rates["reports"].limit, rates["reports"].interval) == (100, 360_250)


def test_the_unscaled_limiter_stays_within_harvests_limits() -> None:
    general = configured_rates()["general"]

    assert general.limit <= 100
    assert 15_000 < general.interval <= 15_250
