from datetime import timedelta

from django.utils import timezone

from datasources import tasks
from datasources.models import DataSource, RefreshRun
from datasources.refresh import WorkerStopped


def _running(source, claimed_until) -> RefreshRun:
    DataSource.objects.filter(pk=source.pk).update(claimed_until=claimed_until)
    return RefreshRun.objects.create(
        source=source,
        status=RefreshRun.Status.RUNNING,
        started_at=timezone.now() - timedelta(minutes=3),
        pages_done=4,
    )


def test_it_fails_a_run_whose_worker_let_its_lease_lapse(source):
    run = _running(source, timezone.now() - timedelta(seconds=1))

    tasks.tick()

    run.refresh_from_db()
    source.refresh_from_db()
    assert run.status == RefreshRun.Status.FAILED
    assert run.error == WorkerStopped.default_message
    assert "worker stopped" in run.error
    assert run.finished_at is not None
    assert source.status == DataSource.Status.STALE
    assert source.failure_count == 1
    assert 170_000 <= source.last_duration_ms <= 190_000
    assert source.next_run_at > timezone.now() + timedelta(minutes=1)


def test_it_leaves_a_run_with_a_live_lease_alone(source):
    run = _running(source, timezone.now() + timedelta(minutes=5))

    tasks.tick()

    run.refresh_from_db()
    source.refresh_from_db()
    assert run.status == RefreshRun.Status.RUNNING
    assert source.failure_count == 0


def test_the_ticker_sweeps_scratch_folders_a_dead_worker_left(settings, source):
    import os
    import time as clock

    from datasources.storage import scratch_dir

    settings.REFRESH_LEASE_SECONDS = 60
    abandoned = scratch_dir() / "tmpdead"
    abandoned.mkdir()
    (abandoned / "delta.ndjson").write_text("{}\n")
    hour_ago = clock.time() - 3600
    for path in (abandoned / "delta.ndjson", abandoned):
        os.utime(path, (hour_ago, hour_ago))
    live = scratch_dir() / "tmplive"
    live.mkdir()
    (live / "delta.ndjson").write_text("{}\n")

    tasks.tick()

    assert not abandoned.exists()
    assert live.exists()
