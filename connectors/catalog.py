"""The catalog: every service HarvestDash can read, and its pre-built sources.

A service and its recipes are plain data. A data source row stores only the
service slug and the recipe slug, so a recipe can be improved without a
migration; the row keeps its own copy of the Query URL once it is saved.
"""

from dataclasses import dataclass, field
from functools import cache
from typing import Literal

Bucket = Literal["general", "reports"]


@dataclass(frozen=True)
class RowFilter:
    """Keeps records whose value at `path` compares with a resolved template.

    Some questions Harvest cannot answer with query parameters (no "overdue"
    filter on invoices); the refresh applies these after each page.
    """

    path: str
    op: Literal["<", "<=", ">", ">=", "==", "!="]
    value: str


@dataclass(frozen=True)
class PerRecord:
    """A list Harvest answers only below each record of another list, such as an
    invoice's payments (`/v2/invoices/{id}/payments`): one more request per
    parent record that passes `parent_filters`. Each child record carries the
    parent's `parent_fields` under `parent_key`, so its columns can name them."""

    # Path below the API base with {id} for the parent record's id.
    path: str
    parent_key: str
    parent_fields: tuple[str, ...]
    parent_filters: tuple[RowFilter, ...] = ()

    def applies_to(self, parent_query_url: str, recipe_query_url: str) -> bool:
        """Only while the Query URL still lists the recipe's parents: a custom URL
        on another path has no {id}s this path could take."""
        return _path_of(parent_query_url) == _path_of(recipe_query_url)


@dataclass(frozen=True)
class Recipe:
    slug: str
    name: str
    description: str
    # Path and query below the API base, with {{relative_date}} placeholders.
    query_url: str
    # Record paths to show first, in this order; the rest follow as inferred.
    default_columns: tuple[str, ...] = ()
    refresh_minutes: int = 60
    # Which Harvest rate limit the requests count against.
    bucket: Bucket = "general"
    row_filters: tuple[RowFilter, ...] = ()
    per_record: PerRecord | None = None


@dataclass(frozen=True)
class Service:
    slug: str
    name: str
    description: str
    # Short text shown in place of a logo image on the service card.
    logo_text: str
    recipes: tuple[Recipe, ...] = field(default_factory=tuple)

    def recipe(self, slug: str) -> Recipe | None:
        return next((r for r in self.recipes if r.slug == slug), None)


@cache
def services() -> dict[str, Service]:
    """Every service by slug (built on first use to avoid an import cycle)."""
    from connectors.harvest.sources import HARVEST

    return {service.slug: service for service in (HARVEST,)}


def get_service(slug: str) -> Service | None:
    return services().get(slug)


def get_recipe(service_slug: str, recipe_slug: str) -> Recipe | None:
    service = get_service(service_slug)
    return service.recipe(recipe_slug) if service else None


def recipe_reading(service_slug: str, query_url: str) -> Recipe | None:
    """The first recipe whose records come from the Query URL's path, so a custom
    source can borrow its first columns; None for a path no recipe reads."""
    service = get_service(service_slug)
    path = _path_of(query_url)
    if service is None or not path:
        return None

    # A per-record recipe's own columns are its children's, not its path's records.
    readers = (r for r in service.recipes if r.per_record is None)
    return next((r for r in readers if _path_of(r.query_url) == path), None)


def _path_of(query_url: str) -> str:
    return query_url.split("?", 1)[0]


def bucket_for(query_url: str) -> Bucket:
    """The rate-limit bucket a Query URL's requests count against."""
    return "reports" if _path_of(query_url).startswith("/v2/reports/") else "general"
