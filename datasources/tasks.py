"""Celery tasks: one due-work ticker and a thin refresh task, both taking ids."""

import logging
from datetime import datetime, timedelta

from celery import shared_task
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from connectors.models import Connection
from datasources import storage
from datasources.models import DataSource, RefreshRun

logger = logging.getLogger(__name__)

# A claimed source is not due again for this long; if its queued run is lost
# (worker crash before start), the ticker picks it up again afterwards.
CLAIM_LEASE = timedelta(minutes=30)


def due_candidates(now: datetime) -> list[tuple[int, datetime]]:
    """(source id, next_run_at) of every source whose refresh is due."""
    due = (
        DataSource.objects.filter(next_run_at__lte=now)
        .exclude(status=DataSource.Status.PAUSED)
        .filter(connection__status=Connection.Status.OK)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("next_run_at")
    )
    return list(due.values_list("pk", "next_run_at"))


def claim(source_id: int, seen_next_run_at: datetime, now: datetime) -> bool:
    """Moves next_run_at out of the due window, only if nobody else did first."""
    claimed = DataSource.objects.filter(
        pk=source_id, next_run_at=seen_next_run_at
    ).update(next_run_at=now + CLAIM_LEASE)
    return claimed == 1


@shared_task
def tick() -> list[int]:
    """Queues a refresh for every due source this ticker could claim."""
    from datasources.refresh import hand_to_worker, lock_lease, recover_abandoned_runs

    now = timezone.now()
    recover_abandoned_runs(now)
    storage.sweep_scratch(older_than=lock_lease().total_seconds())
    run_ids = []
    for source_id, next_run_at in due_candidates(now):
        if not claim(source_id, next_run_at, now):
            continue
        run = RefreshRun.objects.create(source_id=source_id, trigger="schedule")
        transaction.on_commit(lambda run=run: hand_to_worker(refresh, run))
        run_ids.append(run.pk)
    if run_ids:
        logger.info("tick queued runs=%s", len(run_ids))
    return run_ids


@shared_task
def refresh(run_id: int) -> None:
    from datasources.refresh import refresh_source

    try:
        run = refresh_source(run_id)
    except (RefreshRun.DoesNotExist, DataSource.DoesNotExist):
        # The source was deleted while its run waited or ran; nothing to do.
        logger.info("refresh dropped run=%s source deleted", run_id)
        return
    logger.info("refresh task done run=%s status=%s", run.pk, run.status)
