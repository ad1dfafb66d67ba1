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
# Requests already on the wire when the 429 went out may still arrive; this is
# how long they may take (scheduling on a busy 2-core machine included).
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
    assert len(throttled) == 1
    blocked_from = throttled[0].at
    after = [r.at - blocked_from for r in requests if r.at > blocked_from]
    in_flight = [t for t in after if t <= IN_FLIGHT_GRACE]
    during = [t for t in after if IN_FLIGHT_GRACE < t < RETRY_AFTER]
    print(f"in flight: {in_flight}; first after: {min(t for t in after if t > 1):.2f}")
    assert during == []
    assert len(in_flight) <= stack.worker_count * stack.concurrency - 1
    assert len(after) > len(in_flight), "the refreshes went on after the block"
    assert {status for status, _ in runs.values()} == {"succeeded"}, runs
    assert row_counts(stack, made["sources"]) == [ENTRIES] * SOURCES
    assert len(requests) == SOURCES * ENTRIES // PER_PAGE + 1
