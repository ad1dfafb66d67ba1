"""With the shared rate limiter unreachable no request reaches Harvest: the refresh
fails with a clear message and the previous data stays."""

from connectors.ratelimit import LIMITER_UNREACHABLE, shared_limiter
from datasources.models import DataSource, RefreshRun

from .conftest import TASK_REPORT, make_source, refresh_now, sandbox_connection


def test_no_harvest_call_while_the_limiter_is_unreachable(
    owner, workspace, sandbox, settings, fast_retries
):
    source = make_source(
        owner, workspace, sandbox_connection(owner, workspace), TASK_REPORT
    )
    assert refresh_now(source).status == RefreshRun.Status.SUCCEEDED
    version = source.current_version
    before = len(sandbox.requests)
    # Port 1: nothing listens, as with Redis stopped.
    settings.RATE_LIMIT_STORE = "redis://127.0.0.1:1/0"
    shared_limiter.cache_clear()

    run = refresh_now(source)

    assert (run.status, run.error) == (RefreshRun.Status.FAILED, LIMITER_UNREACHABLE)
    assert len(sandbox.requests) == before
    assert source.current_version_id == version.pk
    assert source.status == DataSource.Status.STALE
