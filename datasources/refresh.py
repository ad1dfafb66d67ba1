"""The refresh engine: fetch every page, store a complete version, then swap.

A refresh either produces a whole new version or changes nothing but the
source's health: the previous version stays readable until the new one is
complete, and a failure is recorded on the row and shown to the owner.
"""

import logging
import time
from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from connectors.catalog import get_recipe
from connectors.harvest.client import HarvestClient
from connectors.harvest.errors import HarvestError, TokenInvalid
from datasources import mirrors, notifications, schedule, storage
from datasources.fetching import (
    filtered_pages,
    local_today,
    per_record_for,
    per_record_pages,
    resolve_url,
    row_filters_for,
)
from datasources.modelling import infer_columns
from datasources.models import DataSource, DataVersion, RefreshRun
from datasources.presentation import ordered_columns

logger = logging.getLogger(__name__)

INFER_SAMPLE = 500
UNEXPECTED_FAILURE = (
    "Refreshing failed unexpectedly; the previous data stays in place. "
    "The error was logged for the administrator."
)
SKIPPED = "Another refresh of this source was still running, so this one was skipped."


class SourceNotReady(HarvestError):
    default_message = "This source has no connection; pick one in its settings."


class WorkerStopped(HarvestError):
    default_message = (
        "The worker running this refresh stopped before it finished (worker "
        "stopped); the previous data stays in place."
    )


def lock_lease() -> timedelta:
    """How long a refresh holds its source before another may take over (a
    worker that died mid-run must not block its source for ever); renewed on
    every page."""
    return timedelta(seconds=settings.REFRESH_LEASE_SECONDS)


def _acquire_lock(source_id: int, now) -> bool:
    """Claims the source for one refresh, atomically across processes."""
    claimed = (
        DataSource.objects.filter(pk=source_id)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + lock_lease())
    )
    return claimed == 1


def _release_lock(source_id: int) -> None:
    DataSource.objects.filter(pk=source_id).update(claimed_until=None)


def refresh_source(run_id: int) -> RefreshRun:
    """Runs one queued refresh to its end; never raises for Harvest failures."""
    run = RefreshRun.objects.select_related("source").get(pk=run_id)
    if run.status != RefreshRun.Status.QUEUED:
        logger.info("refresh skipped run=%s status=%s", run.pk, run.status)
        return run

    if not _acquire_lock(run.source_id, timezone.now()):
        _finish_run(run, RefreshRun.Status.FAILED, error=SKIPPED)
        logger.info("refresh skipped run=%s source=%s locked", run.pk, run.source_id)
        return run

    try:
        _run_locked(run)
    finally:
        _release_lock(run.source_id)
    return run


def _run_locked(run: RefreshRun) -> None:
    source = DataSource.objects.select_related("workspace", "connection").get(
        pk=run.source_id
    )
    run.status = RefreshRun.Status.RUNNING
    run.started_at = timezone.now()
    run.save(update_fields=["status", "started_at"])
    started = time.monotonic()

    try:
        version = _fetch_and_store(source, run)
    except HarvestError as error:
        _record_failure(source, run, error, started)
    except Exception as error:
        # Anything else is a bug, but the source must still end up stale and
        # the run failed, not stuck in "running".
        logger.exception("refresh crashed run=%s source=%s", run.pk, source.pk)
        _record_failure(source, run, error, started)
    else:
        _record_success(source, run, version, started)


def _fetch_and_store(source: DataSource, run: RefreshRun) -> DataVersion:
    if source.connection is None:
        raise SourceNotReady()

    client = HarvestClient(source.connection, source.account_id)
    url = resolve_url(
        source.query_url, client, source.workspace, source.connection, source.account_id
    )
    logger.info(
        "refresh started run=%s source=%s connection=%s account=%s",
        run.pk,
        source.pk,
        source.connection_id,
        source.account_id,
    )
    row_filters = row_filters_for(source.service, source.recipe)
    today = local_today(source.workspace, source.connection)
    per_record = per_record_for(source.service, source.recipe, source.query_url)
    if per_record is not None:
        pages = per_record_pages(client, url, per_record, today)
        pages = filtered_pages(_renewing_lock(pages, source.pk), row_filters, today)
        return storage.write_version(source, pages, run)

    mirror_query = mirrors.plan_for(url)
    if mirror_query is not None:
        return mirrors.refresh_from_mirror(
            source,
            client,
            mirror_query,
            run,
            row_filters,
            today,
            on_page=lambda: _renew_lock(source.pk),
        )

    pages = filtered_pages(
        _renewing_lock(client.iter_pages(url), source.pk), row_filters, today
    )
    return storage.write_version(source, pages, run)


def _renew_lock(source_id: int) -> None:
    DataSource.objects.filter(pk=source_id).update(
        claimed_until=timezone.now() + lock_lease()
    )


def _renewing_lock(pages: Iterator, source_id: int) -> Iterator:
    """Extends the source's lock as pages arrive, so a long run keeps it."""
    for page in pages:
        _renew_lock(source_id)
        yield page


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _default_columns(source: DataSource, version: DataVersion) -> list[dict]:
    """Inferred columns of a first version, the recipe's chosen ones first."""
    names, rows = storage.read_rows(version, limit=INFER_SAMPLE)
    columns = infer_columns(dict(zip(names, row, strict=True)) for row in rows)
    recipe = get_recipe(source.service, source.recipe) if source.recipe else None
    return ordered_columns([c.model_dump(mode="json") for c in columns], recipe)


def _record_success(
    source: DataSource, run: RefreshRun, version: DataVersion, started: float
) -> None:
    now = timezone.now()
    with transaction.atomic():
        source.refresh_from_db(fields=["current_version", "columns", "status"])
        previous = source.current_version
        source.current_version = version
        source.status = DataSource.Status.OK
        source.failure_count = 0
        source.last_error = ""
        source.stale_since = None
        source.warned_at = None
        source.last_duration_ms = _elapsed_ms(started)
        source.next_run_at = schedule.next_run_after(source, now)
        if not source.columns and version.row_count:
            source.columns = _default_columns(source, version)
        source.save()
        run.version = version
        _finish_run(run, RefreshRun.Status.SUCCEEDED)

    if previous is not None and previous != version:
        # The swap is committed; nobody is pointed at the old file any more.
        storage.delete_version_file(previous)
        previous.delete()
    logger.info(
        "refresh succeeded run=%s source=%s pages=%s requests=%s rows=%s ms=%s",
        run.pk,
        source.pk,
        run.pages_done,
        run.requests,
        run.rows,
        source.last_duration_ms,
    )


def _record_failure(
    source: DataSource, run: RefreshRun, error: Exception, started: float
) -> None:
    message = getattr(error, "user_message", None) or UNEXPECTED_FAILURE
    now = timezone.now()
    with transaction.atomic():
        source.refresh_from_db(fields=["failure_count", "stale_since", "warned_at"])
        source.failure_count += 1
        source.status = DataSource.Status.STALE
        source.stale_since = source.stale_since or now
        source.last_error = message
        source.last_duration_ms = _elapsed_ms(started)
        source.next_run_at = now + schedule.backoff(source.failure_count)
        source.save()
        _finish_run(run, RefreshRun.Status.FAILED, error=message)

    logger.warning(
        "refresh failed run=%s source=%s failures=%s error=%s",
        run.pk,
        source.pk,
        source.failure_count,
        type(error).__name__,
    )
    notifications.after_failure(
        source, reconnect_needed=isinstance(error, TokenInvalid)
    )


def _finish_run(run: RefreshRun, status: str, error: str = "") -> None:
    run.status = status
    run.error = error
    run.finished_at = timezone.now()
    if run.started_at is None:
        run.started_at = run.finished_at
    run.save(update_fields=["status", "error", "finished_at", "started_at", "version"])


def recover_abandoned_runs(now) -> list[int]:
    """Fails runs left "running" by a dead worker: their source's lease lapsed.

    A live refresh renews its lease on every page, and marks its run finished
    before it lets go of the source, so a running run on an unclaimed source
    has nobody working on it.
    """
    abandoned = RefreshRun.objects.filter(status=RefreshRun.Status.RUNNING).filter(
        Q(source__claimed_until__isnull=True) | Q(source__claimed_until__lt=now)
    )
    recovered = []
    for run in abandoned.select_related("source"):
        taken = RefreshRun.objects.filter(
            pk=run.pk, status=RefreshRun.Status.RUNNING
        ).update(status=RefreshRun.Status.FAILED)
        if not taken:
            continue
        ran_for = (now - (run.started_at or now)).total_seconds()
        _record_failure(run.source, run, WorkerStopped(), time.monotonic() - ran_for)
        recovered.append(run.pk)
    if recovered:
        logger.warning("abandoned runs failed runs=%s", recovered)
    return recovered


def queue_refresh(source: DataSource, trigger: str = "manual") -> RefreshRun:
    """Creates a queued run and hands it to a worker once the row is committed.

    A run already waiting or running (a double click, a second tab) is returned
    instead of queuing another one behind it.
    """
    from datasources.tasks import refresh

    pending = source.runs.filter(
        status__in=[RefreshRun.Status.QUEUED, RefreshRun.Status.RUNNING],
        queued_at__gte=timezone.now() - lock_lease(),
    ).first()
    if pending is not None:
        return pending

    run = RefreshRun.objects.create(source=source, trigger=trigger)
    transaction.on_commit(lambda: hand_to_worker(refresh, run))
    logger.info(
        "refresh queued run=%s source=%s trigger=%s", run.pk, source.pk, trigger
    )
    return run


BROKER_DOWN = (
    "The job queue could not be reached, so this run never started; the source "
    "refreshes as soon as the queue is back."
)


def hand_to_worker(task, run: RefreshRun) -> None:
    """Sends the run to the broker; with the broker down (Redis stopped) the page
    still answers, and the source is made due so the ticker queues it once the
    broker is back."""
    try:
        task.delay(run.pk)
    except KombuOperationalError:
        logger.warning(
            "refresh not sent run=%s source=%s broker unreachable",
            run.pk,
            run.source_id,
        )
        _finish_run(run, RefreshRun.Status.FAILED, error=BROKER_DOWN)
        DataSource.objects.filter(pk=run.source_id).update(next_run_at=timezone.now())
