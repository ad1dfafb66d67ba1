"""Everything that changes data sources, for views, tasks, the shell and tests."""

import logging
from datetime import datetime, time

from django.db import transaction
from django.utils import timezone

from connectors.harvest.client import HarvestClient
from connectors.harvest.query_urls import normalize_query_url
from connectors.models import Connection
from datasources import relative_dates, storage
from datasources.fetching import Preview, per_record_for, preview, row_filters_for
from datasources.modelling import parse_columns
from datasources.models import DataSource, RefreshRun
from datasources.refresh import lock_lease, queue_refresh

logger = logging.getLogger(__name__)

__all__ = [
    "all_accounts",
    "create_source",
    "delete_source",
    "harvest_accounts",
    "normalize_template",
    "preview_source_query",
    "queue_refresh",
    "resume_source",
    "update_source",
]


def normalize_template(text: str) -> str:
    """A Query URL template in its "/v2/...?..." form, placeholders kept.

    Raises UnknownPlaceholder or DisallowedURL with a message for the user.
    """
    problem = relative_dates.find_unknown(text)
    if problem:
        raise relative_dates.UnknownPlaceholder(problem)

    placeholders: dict[str, str] = {}

    def stash(match) -> str:
        marker = f"hdrelativedate{len(placeholders)}x"
        number = f":{match.group(2)}" if match.group(2) is not None else ""
        placeholders[marker] = "{{" + match.group(1) + number + "}}"
        return marker

    # Placeholders hide behind plain words so URL normalisation leaves them be.
    masked = relative_dates.PLACEHOLDER.sub(stash, text.strip())
    normalized = normalize_query_url(masked)
    for marker, placeholder in placeholders.items():
        normalized = normalized.replace(marker, placeholder)
    return normalized


def all_accounts(connection: Connection) -> list[dict]:
    """Every account the token reaches (Harvest and Forecast), with ids."""
    return HarvestClient(connection).accounts()


def harvest_accounts(connection: Connection) -> list[dict]:
    """Harvest (not Forecast) accounts the connection's token reaches, fresh."""
    accounts = HarvestClient(connection).accounts()
    return [a for a in accounts if a.get("product") == "harvest"]


def preview_source_query(
    connection: Connection,
    account_id: int,
    query_url: str,
    workspace,
    service: str = "harvest",
    recipe: str = "",
) -> Preview:
    client = HarvestClient(connection, account_id)
    return preview(
        client,
        query_url,
        workspace,
        connection,
        account_id,
        row_filters_for(service, recipe),
        per_record_for(service, recipe, query_url),
    )


def _schedule_fields(refresh_minutes: int | None, daily_at: time | None) -> dict:
    if refresh_minutes:
        return {"refresh_minutes": refresh_minutes, "daily_at": None}
    return {"refresh_minutes": None, "daily_at": daily_at}


def _first_run_at(
    refresh_minutes: int | None, daily_at: time | None, refresh_now: bool
) -> datetime | None:
    """When the ticker first looks at a new source.

    With an immediate refresh queued, the ticker only steps in if that run was
    lost (worker down); the run's outcome sets the real next time.
    """
    if not refresh_minutes and daily_at is None:
        return None
    now = timezone.now()
    return now + lock_lease() if refresh_now else now


@transaction.atomic
def create_source(
    *,
    workspace,
    owner,
    connection: Connection,
    account_id: int,
    name: str,
    query_url: str,
    service: str = "harvest",
    recipe: str = "",
    columns: list[dict] | None = None,
    refresh_minutes: int | None = 60,
    daily_at: time | None = None,
    shared_with_workspace: bool = False,
    refresh_now: bool = True,
) -> DataSource:
    """Saves a new source and queues its first refresh."""
    if columns:
        parse_columns(columns)
    source = DataSource.objects.create(
        workspace=workspace,
        owner=owner,
        connection=connection,
        account_id=account_id,
        name=name,
        service=service,
        recipe=recipe,
        query_url=normalize_template(query_url),
        columns=columns or [],
        shared_with_workspace=shared_with_workspace,
        next_run_at=_first_run_at(refresh_minutes, daily_at, refresh_now),
        **_schedule_fields(refresh_minutes, daily_at),
    )
    logger.info(
        "source created source=%s workspace=%s connection=%s recipe=%s",
        source.pk,
        workspace.pk,
        connection.pk,
        recipe or "custom",
    )
    if refresh_now:
        queue_refresh(source, trigger="created")
    return source


@transaction.atomic
def assign_connection(
    source: DataSource, connection: Connection, account_id: int | None = None
) -> DataSource:
    """Point a source at another connection (its own was deleted or replaced) or
    Harvest account, and make it due at once; the connection must reach the
    account. The stored data stays until the next refresh replaces it."""
    account_id = source.account_id if account_id is None else account_id
    account_ids = {account["id"] for account in connection.harvest_accounts()}
    if account_id not in account_ids:
        raise ValueError(
            f"“{connection.name}” does not reach Harvest account {account_id}."
        )

    source.connection = connection
    source.account_id = account_id
    source.failure_count = 0
    source.next_run_at = timezone.now()
    source.save(
        update_fields=["connection", "account_id", "failure_count", "next_run_at"]
    )
    logger.info(
        "source connection set source=%s connection=%s account=%s",
        source.pk,
        connection.pk,
        account_id,
    )
    return source


def update_source(
    source: DataSource,
    *,
    name: str,
    refresh_minutes: int | None,
    daily_at: time | None,
    shared_with_workspace: bool,
    columns: list[dict] | None = None,
) -> DataSource:
    """Changes name, schedule, sharing and modelled columns."""
    from datasources.schedule import next_run_after

    source.name = name
    source.shared_with_workspace = shared_with_workspace
    for field, value in _schedule_fields(refresh_minutes, daily_at).items():
        setattr(source, field, value)
    if columns is not None:
        parse_columns(columns)
        source.columns = columns
    if source.status != DataSource.Status.PAUSED and source.failure_count == 0:
        source.next_run_at = next_run_after(source, timezone.now())
    source.save()
    logger.info("source updated source=%s", source.pk)
    return source


def resume_source(source: DataSource) -> RefreshRun:
    """Takes a paused source back into the schedule and refreshes it now."""
    source.status = DataSource.Status.STALE
    source.failure_count = 0
    source.warned_at = None
    source.save(update_fields=["status", "failure_count", "warned_at"])
    return queue_refresh(source, trigger="resume")


def delete_source(source: DataSource) -> None:
    """Deletes the source, its runs and every stored version file."""
    file_versions = list(source.versions.all())
    source_id = source.pk
    with transaction.atomic():
        source.current_version = None
        source.save(update_fields=["current_version"])
        source.delete()
    for version in file_versions:
        storage.delete_version_file(version)
    logger.info("source deleted source=%s versions=%s", source_id, len(file_versions))
