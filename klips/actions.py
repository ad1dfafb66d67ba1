"""Everything the Klip views do, as functions a task, the shell or a test can call."""

import csv
import hashlib
import io
import json
import logging
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from datasources.access import visible_sources
from datasources.models import DataSource
from klips.access import visible_dashboards
from klips.dashboard_filters import DashboardFilters
from klips.models import Dashboard, Klip
from klips.query import (
    CACHE_SECONDS,
    QueryError,
    QueryResult,
    all_columns,
    run_klip,
    sides_for,
    zone,
)
from klips.render import MAX_CATEGORIES, render
from klips.spec import KlipSpec, parse_spec
from workspaces.models import Membership, Workspace

logger = logging.getLogger(__name__)

FIRST_DASHBOARD_NAME = "My dashboard"
GRID_COLUMNS = 12
# Spreadsheet apps run cells starting with these as formulas.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# Dashboards -------------------------------------------------------------------


def create_dashboard(workspace: Workspace, owner, name: str, shared: bool = False):
    dashboard = Dashboard.objects.create(
        workspace=workspace, owner=owner, name=name, shared_with_workspace=shared
    )
    logger.info(
        "dashboard created dashboard=%s workspace=%s", dashboard.pk, workspace.pk
    )
    return dashboard


def ensure_first_dashboard(membership: Membership) -> Dashboard | None:
    """A member who sees no dashboard at all gets one of their own to start from;
    one who joins a team with shared dashboards starts from those instead of a
    second, empty "My dashboard"."""
    if visible_dashboards(membership).exists():
        return None
    return create_dashboard(membership.workspace, membership.user, FIRST_DASHBOARD_NAME)


def delete_dashboard(dashboard: Dashboard) -> None:
    logger.info("dashboard deleted dashboard=%s", dashboard.pk)
    dashboard.delete()


class LayoutError(ValueError):
    """Grid positions that cannot be saved; the message is safe to show."""


def save_layout(dashboard: Dashboard, positions: Any) -> int:
    """Store grid positions [{"id", "x", "y", "w", "h"}]; returns Klips moved."""
    if not isinstance(positions, list):
        raise LayoutError("Expected a list of positions")

    klips = {klip.pk: klip for klip in dashboard.klips.all()}
    changed = []
    for item in positions:
        klip = klips.get(item.get("id")) if isinstance(item, dict) else None
        if klip is None:
            raise LayoutError("A position names a Klip that is not on this dashboard")
        klip.x, klip.y, klip.w, klip.h = _grid_box(item)
        changed.append(klip)

    with transaction.atomic():
        Klip.objects.bulk_update(changed, ["x", "y", "w", "h"])
    logger.info("layout saved dashboard=%s klips=%s", dashboard.pk, len(changed))
    return len(changed)


def _grid_box(item: dict) -> tuple[int, int, int, int]:
    try:
        x, y, w, h = (int(item[key]) for key in ("x", "y", "w", "h"))
    except (KeyError, TypeError, ValueError):
        raise LayoutError("Each position needs whole numbers x, y, w and h") from None
    if not (0 <= x < GRID_COLUMNS and 1 <= w <= GRID_COLUMNS and x + w <= GRID_COLUMNS):
        raise LayoutError("A Klip must fit the 12-column grid")
    if not (0 <= y <= 1000 and 1 <= h <= 40):
        raise LayoutError("A Klip's row or height is out of range")
    return x, y, w, h


# Klips ------------------------------------------------------------------------


def save_klip(
    dashboard: Dashboard,
    name: str,
    kind: str,
    spec: KlipSpec,
    sources: list[DataSource],
    klip: Klip | None = None,
) -> Klip:
    """Create or update a Klip; a new one goes below the others."""
    with transaction.atomic():
        if klip is None:
            klip = Klip(dashboard=dashboard, y=_next_row(dashboard))
        klip.name = name
        klip.kind = kind
        klip.spec = spec.model_dump(mode="json")
        klip.save()
        klip.sources.set(sources)
    logger.info(
        "klip saved klip=%s dashboard=%s kind=%s sources=%s",
        klip.pk,
        dashboard.pk,
        kind,
        spec.sources,
    )
    return klip


def _next_row(dashboard: Dashboard) -> int:
    bottoms = [klip.y + klip.h for klip in dashboard.klips.all()]
    return max(bottoms, default=0)


def delete_klip(klip: Klip) -> None:
    logger.info("klip deleted klip=%s dashboard=%s", klip.pk, klip.dashboard_id)
    klip.delete()


# Data -------------------------------------------------------------------------


@dataclass
class KlipData:
    spec: KlipSpec
    result: QueryResult
    source: DataSource


def klip_sources(klip: Klip, spec: KlipSpec) -> dict[int, DataSource]:
    """The Klip's sources that its dashboard's owner may still use.

    Whoever may see the dashboard sees its Klips' data, even if the source itself
    is not shared with them: sharing a dashboard shares what its owner can use.
    Read on every request, so when a source's share to the owner is revoked (or
    the owner leaves) its Klips stop showing its data at once.
    """
    dashboard = klip.dashboard
    owner_membership = (
        Membership.objects.select_related("user", "workspace")
        .filter(workspace_id=dashboard.workspace_id, user_id=dashboard.owner_id)
        .first()
    )
    if owner_membership is None:
        return {}

    sources = (
        visible_sources(owner_membership)
        .filter(pk__in=spec.sources)
        .select_related("current_version", "workspace")
    )
    return {source.pk: source for source in sources}


def query_for_kind(
    kind: str,
    spec: KlipSpec,
    sources: dict[int, DataSource],
    time_zone: str = "UTC",
) -> QueryResult:
    """Run the spec; a chart with too many categories is re-run as top N + Other."""
    result = run_klip(spec, sources, time_zone=time_zone)
    most = MAX_CATEGORIES.get(kind)
    if most is None or spec.top_n or spec.limit or not spec.group_by:
        return result
    if spec.group_by[0].bucket:
        return result

    categories = {row[0] for row in result.rows}
    if len(categories) <= most:
        return result
    return run_klip(
        spec.model_copy(update={"top_n": most, "sort": []}),
        sources,
        time_zone=time_zone,
    )


def klip_payload(
    klip: Klip, time_zone: str = "UTC", filters: DashboardFilters | None = None
) -> dict:
    """What the dashboard card draws: the figure or table plus freshness.

    Cached whole per spec, kind, data versions and day, so a dashboard view of
    unchanged data neither queries nor builds a figure again.
    """
    spec = parse_spec(klip.spec)
    sources = klip_sources(klip, spec)
    spec = with_dashboard_filters(spec, sources, filters)
    chosen = [sources.get(pk) for pk in spec.sources]
    key = payload_key(klip.kind, spec, chosen, time_zone)
    payload = cache.get(key)
    if payload is None:
        result = query_for_kind(klip.kind, spec, sources, time_zone)
        payload = render(klip.kind, spec, result)
        payload.update(freshness(chosen[0]))
        payload.update({"reason": result.reason, "version": version_key(chosen)})
        cache.set(key, payload, CACHE_SECONDS)
    return {**payload, "klip_id": klip.pk}


def payload_key(
    kind: str, spec: KlipSpec, sources: list[DataSource | None], time_zone: str
) -> str:
    """Everything a drawn Klip depends on; today's date for relative windows."""
    today = timezone.localdate(timezone=zone(time_zone)).isoformat()
    # Not ids alone: they can repeat after a database reset, the cache may not.
    stored = [
        (
            source.name,
            source.current_version.file_name,
            source.current_version.created_at.isoformat(),
        )
        if source and source.current_version
        else None
        for source in sources
    ]
    parts = [kind, spec.model_dump(mode="json"), version_key(sources), stored]
    week_start = next((s.workspace.week_start for s in sources if s), 0)
    text = json.dumps(
        [*parts, time_zone, week_start, today], sort_keys=True, default=str
    )
    return "klips:payload:" + hashlib.sha256(text.encode()).hexdigest()


def with_dashboard_filters(
    spec: KlipSpec, sources: dict[int, DataSource], filters: DashboardFilters | None
) -> KlipSpec:
    """The spec plus the dashboard filters whose columns its sources have."""
    if filters is None or not filters.active:
        return spec
    try:
        columns = set(all_columns(sides_for(spec, sources)))
    except QueryError:
        # A missing source or a broken model: the query will say so itself.
        return spec
    return filters.apply(spec, columns)


def version_key(sources: list[DataSource | None]) -> str:
    """Changes whenever a source gets a new version or turns stale or healthy."""
    return "-".join(
        f"{source.current_version_id or 0}{'s' if _is_stale(source) else ''}"
        if source
        else "x"
        for source in sources
    )


def _is_stale(source: DataSource) -> bool:
    return source.status == DataSource.Status.STALE


def dashboard_versions(dashboard: Dashboard) -> dict[str, dict]:
    """Per Klip: its sources' version key and freshness, in two queries.

    The dashboard polls this to re-fetch only the Klips whose data changed.
    """
    specs = dashboard.klips.values_list("pk", "spec")
    wanted = {klip_id: _source_ids(spec) for klip_id, spec in specs}
    sources = DataSource.objects.filter(
        workspace_id=dashboard.workspace_id,
        pk__in={pk for ids in wanted.values() for pk in ids},
    ).select_related("current_version")
    by_id = {source.pk: source for source in sources}

    versions = {}
    for klip_id, ids in wanted.items():
        chosen = [by_id.get(pk) for pk in ids]
        versions[str(klip_id)] = {
            "version": version_key(chosen),
            **freshness(chosen[0] if chosen else None),
        }
    return versions


def _source_ids(spec: Any) -> list[int]:
    ids = (spec.get("sources") if isinstance(spec, dict) else None) or []
    return [pk for pk in ids if isinstance(pk, int)]


def preview_payload(
    kind: str, spec: KlipSpec, sources: dict[int, DataSource], time_zone: str
) -> dict:
    result = query_for_kind(kind, spec, sources, time_zone)
    payload = render(kind, spec, result)
    payload.update(freshness(sources.get(spec.sources[0])))
    payload["reason"] = result.reason
    return payload


def freshness(source: DataSource | None) -> dict:
    """When the data was fetched and whether the source is behind schedule."""
    if source is None:
        return {"as_of": None, "stale": False, "source": None}
    version = source.current_version
    return {
        "as_of": version.created_at.isoformat() if version else None,
        "stale": source.status == DataSource.Status.STALE,
        "source": source.name,
    }


# CSV --------------------------------------------------------------------------


def klip_csv(
    klip: Klip, time_zone: str = "UTC", filters: DashboardFilters | None = None
) -> str:
    """The Klip's full result (no top-N folding) as CSV text."""
    spec = parse_spec(klip.spec)
    sources = klip_sources(klip, spec)
    spec = with_dashboard_filters(spec, sources, filters)
    result = run_klip(spec, sources, time_zone=time_zone)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralise(c.name) for c in result.columns])
    for row in result.rows:
        writer.writerow([neutralise(value) for value in row])
    return buffer.getvalue()


def neutralise(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading '; numbers stay."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value
