"""Published links: a dashboard shown read-only at a secret URL.

A link is the only key a visitor holds: `get_link` is its access helper, and a
Klip is always looked up on the link's own dashboard. A locked link (say
"Client name" = "Acme") adds that filter server-side to every Klip's query;
a Klip whose data has no such column is withheld rather than shown unfiltered.
"""

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.hashers import check_password, make_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from datasources.models import DataSource
from klips.actions import freshness, klip_sources, query_for_kind
from klips.models import Dashboard, Klip, PublishedLink
from klips.query import QueryError, all_columns, run_klip, sides_for
from klips.render import render
from klips.spec import (
    Aggregation,
    Filter,
    FilterOp,
    GroupBy,
    KlipSpec,
    Measure,
    SpecError,
    parse_spec,
)
from workspaces.actions import record

logger = logging.getLogger(__name__)

# 32 random bytes: 256 bits, URL-safe text of 43 characters.
TOKEN_BYTES = 32
CLIENT_COLUMN = "Client name"
MAX_CLIENT_LINKS = 500
SESSION_PREFIX = "published-link:"
MAX_ATTEMPTS = 10
ATTEMPT_WINDOW = 15 * 60


class LinkError(ValidationError):
    """A link that cannot be made as asked; the message is safe to show."""


# Access -------------------------------------------------------------------------


def get_link(token: str) -> PublishedLink:
    """The live link with this token, else 404 (revoked links answer 404 too)."""
    link = (
        PublishedLink.objects.select_related("dashboard")
        .filter(token=token, revoked_at=None)
        .first()
    )
    if link is None:
        raise Http404
    return link


def get_published_klip(link: PublishedLink, klip_id: int) -> Klip:
    klip = Klip.objects.filter(dashboard=link.dashboard, pk=klip_id).first()
    if klip is None:
        raise Http404
    klip.dashboard = link.dashboard
    return klip


def links_of(dashboard: Dashboard) -> list[PublishedLink]:
    return list(dashboard.published_links.filter(revoked_at=None))


def get_dashboard_link(dashboard: Dashboard, link_id: int) -> PublishedLink:
    link = dashboard.published_links.filter(pk=link_id, revoked_at=None).first()
    if link is None:
        raise Http404
    return link


# Passwords ------------------------------------------------------------------------


def _unlock_mark(link: PublishedLink) -> str:
    # Bound to the current hash, so a changed password asks again.
    return hashlib.sha256(link.password.encode()).hexdigest()


def is_unlocked(link: PublishedLink, session) -> bool:
    if not link.password:
        return True
    return session.get(f"{SESSION_PREFIX}{link.pk}") == _unlock_mark(link)


class TooManyAttempts(Exception):
    """Wrong passwords for this link from this address hit the limit."""


def _attempts_key(link: PublishedLink, address: str) -> str:
    return f"published:attempts:{link.pk}:{address}"


def unlock(link: PublishedLink, session, password: str, address: str = "") -> bool:
    """Check the password; after MAX_ATTEMPTS wrong ones from one address in
    ATTEMPT_WINDOW seconds, refuse even the right one until the window ends."""
    key = _attempts_key(link, address)
    if cache.get(key, 0) >= MAX_ATTEMPTS:
        raise TooManyAttempts
    if not link.password or not check_password(password, link.password):
        cache.add(key, 0, ATTEMPT_WINDOW)
        cache.incr(key)
        logger.info("published link wrong password link=%s", link.pk)
        return False

    session[f"{SESSION_PREFIX}{link.pk}"] = _unlock_mark(link)
    return True


# Writes -------------------------------------------------------------------------


def create_link(
    dashboard: Dashboard,
    actor,
    *,
    label: str = "",
    password: str = "",
    lock_column: str = "",
    lock_value: str = "",
) -> PublishedLink:
    if bool(lock_column) != bool(lock_value):
        raise LinkError("A locked filter needs both a column and a value.")

    link = PublishedLink.objects.create(
        dashboard=dashboard,
        token=secrets.token_urlsafe(TOKEN_BYTES),
        label=label.strip()[:255],
        password=make_password(password) if password else "",
        lock_column=lock_column.strip()[:255],
        lock_value=lock_value.strip()[:255],
        created_by=actor,
    )
    record(
        dashboard.workspace,
        actor,
        "link.created",
        f"dashboard {dashboard.pk} “{dashboard.name}”",
        link=link.pk,
        lock=f"{link.lock_column} = {link.lock_value}" if link.locked else "",
        password=bool(password),
    )
    logger.info(
        "published link created dashboard=%s link=%s locked=%s",
        dashboard.pk,
        link.pk,
        link.locked,
    )
    return link


def revoke_link(link: PublishedLink, actor) -> None:
    link.revoked_at = timezone.now()
    link.save(update_fields=["revoked_at"])
    record(
        link.dashboard.workspace,
        actor,
        "link.revoked",
        f"dashboard {link.dashboard_id} “{link.dashboard.name}”",
        link=link.pk,
    )
    logger.info(
        "published link revoked dashboard=%s link=%s", link.dashboard_id, link.pk
    )


@transaction.atomic
def publish_per_client(
    dashboard: Dashboard, actor, column: str = CLIENT_COLUMN, password: str = ""
) -> list[PublishedLink]:
    """One locked link per distinct value of `column` in the dashboard's sources;
    values that already have a live link keep it. Returns the new links."""
    names = client_names(dashboard, column)
    if not names:
        raise LinkError(
            f"No data source of this dashboard has a “{column}” column with values."
        )
    if len(names) > MAX_CLIENT_LINKS:
        raise LinkError(f"{len(names)} clients is more than {MAX_CLIENT_LINKS} links.")

    existing = set(
        dashboard.published_links.filter(
            revoked_at=None, lock_column=column
        ).values_list("lock_value", flat=True)
    )
    return [
        create_link(
            dashboard,
            actor,
            label=name,
            password=password,
            lock_column=column,
            lock_value=name,
        )
        for name in names
        if name not in existing
    ]


def dashboard_sources(dashboard: Dashboard) -> list[DataSource]:
    ids = set(dashboard.klips.values_list("sources", flat=True)) - {None}
    return list(
        DataSource.objects.filter(
            workspace_id=dashboard.workspace_id, pk__in=ids
        ).select_related("current_version", "workspace")
    )


def client_names(dashboard: Dashboard, column: str = CLIENT_COLUMN) -> list[str]:
    """Distinct non-empty values of `column` over the dashboard's sources."""
    names: set[str] = set()
    for source in dashboard_sources(dashboard):
        if source.current_version is None:
            continue
        if column not in {c.get("name") for c in source.columns or []}:
            continue
        spec = KlipSpec(
            sources=[source.pk],
            group_by=[GroupBy(column=column)],
            measures=[Measure(agg=Aggregation.COUNT)],
        )
        try:
            result = run_klip(spec, {source.pk: source})
        except (SpecError, QueryError) as error:
            logger.warning(
                "client names unreadable source=%s error=%s", source.pk, error
            )
            continue
        names.update(str(row[0]) for row in result.rows if row[0] not in (None, ""))
    return sorted(names)


# Reading ------------------------------------------------------------------------


def locked_spec(link: PublishedLink, spec: KlipSpec, sources: dict) -> KlipSpec:
    """The spec with the link's locked filter added; SpecError if the Klip's data
    has no such column (it is then withheld, never shown unfiltered)."""
    if not link.locked:
        return spec
    columns = all_columns(sides_for(spec, sources))
    if link.lock_column not in columns:
        raise SpecError("This Klip is not shown on this link.")
    lock = Filter(column=link.lock_column, op=FilterOp.EQ, value=link.lock_value)
    return spec.model_copy(update={"filters": [*spec.filters, lock]})


def published_payload(link: PublishedLink, klip: Klip, time_zone: str) -> dict:
    """What a published card draws: like the dashboard's, with the lock applied."""
    spec = parse_spec(klip.spec)
    sources = klip_sources(klip, spec)
    spec = locked_spec(link, spec, sources)
    result = query_for_kind(klip.kind, spec, sources, time_zone)
    payload = render(klip.kind, spec, result)
    payload.update(freshness(sources.get(spec.sources[0])))
    payload.update({"klip_id": klip.pk, "reason": result.reason})
    return payload


@dataclass
class Freshness:
    as_of: datetime | None
    stale: bool


def dashboard_freshness(dashboard: Dashboard) -> Freshness:
    """The oldest data on the dashboard, and whether any source is behind."""
    sources = dashboard_sources(dashboard)
    times = [s.current_version.created_at for s in sources if s.current_version]
    now = timezone.now()
    stale = any(
        s.status in {DataSource.Status.STALE, DataSource.Status.PAUSED}
        or _overdue(s, now)
        for s in sources
    )
    return Freshness(as_of=min(times) if times else None, stale=stale)


def _overdue(source: DataSource, now: datetime) -> bool:
    """Data older than two refresh intervals (or two days for daily ones)."""
    if source.current_version is None:
        return False
    minutes = source.refresh_minutes or (24 * 60 if source.daily_at else None)
    if minutes is None:
        return False
    return now - source.current_version.created_at > timedelta(minutes=2 * minutes)
