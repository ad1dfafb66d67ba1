"""An injected `429 Retry-After: 10` silences the token in every worker for 10 s;
the refreshes it interrupted finish afterwards."""

import time
from collections.abc import Iterator

import pytest

from bench.ratelimit_stack import (
    DIRECT_QUERY,
    WorkersStack,
    api_requests,
    row_counts,
    stack_for_tests,
)
from sandbox.server import RunningSandbox, run_in_thread

pytestmark = pytest.mark.slow

SOURCES = 4
ENTRIES = 1000
PER_PAGE = 50  # 20 pages a source: 80 requests, under the limiter's 100 / 15 s
RETRY_AFTER = 10
# Requests other workers sent before the throttled one had recorded its block
# may still arrive; this is how long that may take on a busy 2-core machine.
IN_FLIGHT_GRACE = 1.0


@pytest.fixture(scope="module")
def sb() -> Iterator[RunningSandbox]:
    running = run_in_thread(entries=ENTRIES, general_limit=1000)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def stack(sb: RunningSandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    started = stack_for_tests(tmp_path_factory.mktemp("workers"), sb)
    yield started
    started.stop()


def _wait_for_requests(sb: RunningSandbox, count: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while len(api_requests(sb)) < count:
        assert time.monotonic() < deadline, "the workers sent too few requests"
        time.sleep(0.05)


def test_no_worker_uses_the_token_until_retry_after_has_passed(
    sb: RunningSandbox, stack: WorkersStack
) -> None:
    made = stack.create_sources(
        [DIRECT_QUERY.format(per_page=PER_PAGE)] * SOURCES, "sandbox-demo-pat"
    )
    sb.reset()
    sb.knobs.update({"general_limit": 1000, "delay": 0.05})

    run_ids = stack.queue(made["sources"])
    _wait_for_requests(sb, 12)
    sb.knobs.update({"storm_retry_after": RETRY_AFTER, "storm_429": 1})
    runs = stack.wait_for_runs(run_ids, timeout=180)

    requests = api_requests(sb)
    throttled = [r for r in requests if r.status == 429]
    assert len(throttled) == 1, [r.status for r in requests]
    answered_at = throttled[0].at + throttled[0].ms / 1000
    after = sorted(r.at - answered_at for r in requests if r.at > answered_at)
    during = [t for t in after if IN_FLIGHT_GRACE < t < RETRY_AFTER]
    assert during == [], f"requests {during} s after the 429 (all after: {after})"
    assert any(t >= RETRY_AFTER for t in after), "the refreshes went on afterwards"
    assert {status for status, _ in runs.values()} == {"succeeded"}, runs
    assert row_counts(stack, made["sources"]) == [ENTRIES] * SOURCES
    assert len(requests) == SOURCES * ENTRIES // PER_PAGE + 1
