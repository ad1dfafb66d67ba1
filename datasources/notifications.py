"""Telling owners about sources that keep failing, before anything is paused."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from connectors.models import Connection
from datasources.models import DataSource

logger = logging.getLogger(__name__)

WARN_AFTER_FAILURES = 3
PAUSE_AFTER_FAILURES = 10


def after_failure(source: DataSource, reconnect_needed: bool = False) -> None:
    """Warns the owner once, then pauses a source that still keeps failing.

    A token Harvest refused warns at once: no scheduled retry will run until the
    connection is reconnected, so the failure count would never reach the limit.
    """
    if source.warned_at is None and (
        reconnect_needed or source.failure_count >= WARN_AFTER_FAILURES
    ):
        _send_warning(source, reconnect_needed)
        source.warned_at = timezone.now()
        source.save(update_fields=["warned_at"])

    if source.warned_at is not None and source.failure_count >= PAUSE_AFTER_FAILURES:
        source.status = DataSource.Status.PAUSED
        source.next_run_at = None
        source.save(update_fields=["status", "next_run_at"])
        logger.warning(
            "source paused source=%s failures=%s", source.pk, source.failure_count
        )


def _send_warning(source: DataSource, reconnect_needed: bool) -> None:
    context = {
        "source": source,
        "reconnect_needed": reconnect_needed,
        "pause_after": PAUSE_AFTER_FAILURES,
        "source_url": settings.SITE_URL
        + reverse("datasources:source_detail", args=[source.pk]),
    }
    subject = f"HarvestDash: data source “{source.name}” is not refreshing"
    send_mail(
        subject,
        render_to_string("datasources/email/source_failing.txt", context),
        settings.DEFAULT_FROM_EMAIL,
        [source.owner.email],
    )
    logger.info(
        "owner warned source=%s owner=%s failures=%s",
        source.pk,
        source.owner_id,
        source.failure_count,
    )


def troubled_sources(user, workspace):
    """The user's sources that need their attention, for the in-app banner."""
    return (
        DataSource.objects.filter(owner=user, workspace=workspace)
        .filter(
            Q(failure_count__gte=1)
            | Q(status=DataSource.Status.PAUSED)
            | Q(connection__status=Connection.Status.NEEDS_RECONNECT)
            | Q(connection__isnull=True)
        )
        .select_related("connection")
        .order_by("-failure_count")
    )
