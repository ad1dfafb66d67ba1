"""Twenty refreshes on two real workers start on an expired OAuth token: Harvest's
token endpoint is called exactly once, and every refresh succeeds."""

from collections.abc import Iterator

import pytest

from bench.ratelimit_stack import WorkersStack, row_counts, stack_for_tests
from sandbox.server import RunningSandbox, run_in_thread

pytestmark = pytest.mark.slow

TASKS = 20
ENTRIES = 300
TOKEN_PATH = "/id/api/v2/oauth2/token"
QUERY = "/v2/time_entries?updated_since=2000-01-01T00:00:00Z"  # one page of 300


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


def test_an_expired_token_is_refreshed_once_for_all_workers(
    sb: RunningSandbox, stack: WorkersStack
) -> None:
    tokens = sb.issue_tokens()
    made = stack.create_sources(
        [QUERY] * TASKS,
        tokens["access_token"],
        tokens["refresh_token"],
        auth_kind="oauth",
    )
    sb.reset()
    sb.expire_all_tokens()

    runs = stack.wait_for_runs(stack.queue(made["sources"]), timeout=180)

    token_calls = [r for r in sb.requests if r.path == TOKEN_PATH]
    refused = [r for r in sb.requests if r.status == 401]
    assert [(r.method, r.status) for r in token_calls] == [("POST", 200)]
    assert refused, "the runs did start on the expired token"
    assert {status for status, _ in runs.values()} == {"succeeded"}, runs
    assert len(runs) == TASKS
    assert row_counts(stack, made["sources"]) == [ENTRIES] * TASKS
    (status,) = stack.sql(
        "SELECT status FROM connectors_connection WHERE id = ?", made["connection"]
    )[0]
    assert status == "ok"
