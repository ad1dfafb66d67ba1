"""Adding gallery Klips and dashboards: the sources they need, then the Klips."""

import logging
from dataclasses import dataclass

from django.db import transaction

from connectors.catalog import get_recipe
from connectors.models import Connection
from datasources.actions import create_source
from datasources.models import DataSource
from klips import gallery
from klips.actions import GRID_COLUMNS, create_dashboard, save_klip
from klips.models import Dashboard, Klip
from workspaces.models import Workspace

logger = logging.getLogger(__name__)

SERVICE = "harvest"


class GalleryError(ValueError):
    """A gallery item or account that cannot be added; safe to show."""


@dataclass(frozen=True)
class Target:
    """Where the gallery's sources come from: one Harvest account of a connection."""

    workspace: Workspace
    owner: object
    connection: Connection
    account_id: int


def harvest_account_ids(connection: Connection) -> list[int]:
    return [
        int(account["id"])
        for account in connection.accounts or []
        if account.get("product") == "harvest"
    ]


def sources_for_recipes(target: Target, recipes: list[str]) -> dict[str, DataSource]:
    """A source per recipe on the target account: an existing one, or a new one
    (queued for its first refresh)."""
    if target.account_id not in harvest_account_ids(target.connection):
        raise GalleryError("That Harvest account is not reachable by the connection.")

    existing = DataSource.objects.filter(
        workspace=target.workspace,
        connection=target.connection,
        account_id=target.account_id,
        service=SERVICE,
        recipe__in=recipes,
    ).order_by("pk")
    found: dict[str, DataSource] = {}
    for source in existing:
        found.setdefault(source.recipe, source)

    for slug in recipes:
        if slug not in found:
            found[slug] = _create_recipe_source(target, slug)
    return found


def _create_recipe_source(target: Target, slug: str) -> DataSource:
    recipe = get_recipe(SERVICE, slug)
    if recipe is None:
        raise GalleryError(f"The catalog has no recipe {slug!r}.")
    return create_source(
        workspace=target.workspace,
        owner=target.owner,
        connection=target.connection,
        account_id=target.account_id,
        name=recipe.name,
        query_url=recipe.query_url,
        service=SERVICE,
        recipe=slug,
        refresh_minutes=recipe.refresh_minutes,
    )


@transaction.atomic
def add_klips(
    dashboard: Dashboard, items: list[gallery.GalleryKlip], target: Target
) -> list[Klip]:
    """The gallery Klips on the dashboard, below what is there, flowing left to
    right through the 12-column grid."""
    sources = sources_for_recipes(target, gallery.recipes_of(items))
    placer = _Placer(top=_bottom(dashboard))
    added = []
    for item in items:
        chosen = [sources[slug] for slug in item.recipes]
        klip = save_klip(
            dashboard,
            item.name,
            item.kind,
            item.spec_for([source.pk for source in chosen]),
            chosen,
        )
        klip.x, klip.y = placer.place(item.w, item.h)
        klip.w, klip.h = item.w, item.h
        klip.save(update_fields=["x", "y", "w", "h"])
        added.append(klip)

    logger.info(
        "gallery klips added dashboard=%s klips=%s sources=%s",
        dashboard.pk,
        len(added),
        len(sources),
    )
    return added


def add_klip(dashboard: Dashboard, slug: str, target: Target) -> Klip:
    item = gallery.get_klip(slug)
    if item is None:
        raise GalleryError(f"The gallery has no Klip {slug!r}.")
    return add_klips(dashboard, [item], target)[0]


@transaction.atomic
def add_dashboard(slug: str, target: Target) -> Dashboard:
    """A new dashboard with every Klip of the gallery dashboard."""
    item = gallery.get_dashboard(slug)
    if item is None:
        raise GalleryError(f"The gallery has no dashboard {slug!r}.")
    dashboard = create_dashboard(target.workspace, target.owner, item.name)
    add_klips(dashboard, [gallery.get_klip(s) for s in item.klips], target)
    return dashboard


def _bottom(dashboard: Dashboard) -> int:
    return max((k.y + k.h for k in dashboard.klips.all()), default=0)


class _Placer:
    """Left to right, then a new row below the tallest Klip of the row."""

    def __init__(self, top: int) -> None:
        self.x, self.y, self.row_height = 0, top, 0

    def place(self, w: int, h: int) -> tuple[int, int]:
        if self.x + w > GRID_COLUMNS:
            self.x, self.y, self.row_height = 0, self.y + self.row_height, 0
        spot = (self.x, self.y)
        self.x += w
        self.row_height = max(self.row_height, h)
        return spot
