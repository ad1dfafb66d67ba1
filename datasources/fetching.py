"""Turning a source's Query URL into the request Harvest gets, and previews.

Shared by the refresh engine and the wizard, so a preview shows exactly what a
refresh will send.
"""

import dataclasses
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.core.cache import cache

from connectors.catalog import PerRecord, RowFilter, bucket_for, get_recipe
from connectors.harvest.client import HarvestClient, Page
from connectors.harvest.errors import MalformedResponse
from datasources import relative_dates
from datasources.modelling import flatten, infer_columns

logger = logging.getLogger(__name__)

WEEK_START_CACHE_SECONDS = 24 * 3600
PREVIEW_ROWS = 20
# Parents whose lists a preview may ask for (invoices, for their payments).
PREVIEW_PARENT_REQUESTS = 10
INFER_SAMPLE = 500
# The raw answer shown in the wizard; a 2,000-record page is megabytes.
RAW_JSON_CHARS = 20_000
MAX_PER_PAGE = 2000
# Harvest endpoints answering one object, not a paginated list.
OBJECT_PATHS = {"/v2/company", "/v2/users/me"}


def week_start_for(client: HarvestClient, connection_id: int, account_id: int) -> int:
    """The company's week start (Monday=0), cached: it almost never changes."""
    key = f"harvest-week-start:{connection_id}:{account_id}"
    cached = cache.get(key)
    if cached is not None:
        return cached

    # Reference: https://help.getharvest.com/api-v2/company-api/company/company/
    week_start = relative_dates.week_start_index(client.company().get("week_start_day"))
    cache.set(key, week_start, WEEK_START_CACHE_SECONDS)
    return week_start


def local_today(workspace, connection) -> date:
    return relative_dates.today_in(relative_dates.zone_for(workspace, connection))


def resolve_url(
    template: str, client: HarvestClient, workspace, connection, account_id: int
) -> str:
    """The Query URL with its relative dates filled in for today, locally."""
    today = local_today(workspace, connection)
    week_start = 0
    if "week" in template:
        week_start = week_start_for(client, connection.pk, account_id)
    return relative_dates.resolve(template, today, week_start)


def row_filters_for(service: str, recipe_slug: str) -> tuple[RowFilter, ...]:
    recipe = get_recipe(service, recipe_slug) if recipe_slug else None
    return recipe.row_filters if recipe else ()


def per_record_for(service: str, recipe_slug: str, query_url: str) -> PerRecord | None:
    """The recipe's list below each listed record, while the Query URL still lists
    the recipe's kind of record."""
    recipe = get_recipe(service, recipe_slug) if recipe_slug else None
    if recipe is None or recipe.per_record is None:
        return None
    if not recipe.per_record.applies_to(query_url, recipe.query_url):
        return None
    return recipe.per_record


def parents_of(records: list[dict], per_record: PerRecord, today: date) -> list[dict]:
    """The parent records worth a request, cut to the fields children carry."""
    parents = []
    for record in filter_records(records, per_record.parent_filters, today):
        if not isinstance(record.get("id"), int):
            raise MalformedResponse(
                "Harvest listed a record without a numeric id, so its "
                f"{per_record.parent_key}'s list cannot be asked for."
            )
        fields = {name: record.get(name) for name in per_record.parent_fields}
        parents.append({**fields, "id": record["id"]})
    return parents


def child_pages(
    client: HarvestClient, parent: dict, per_record: PerRecord
) -> Iterator[Page]:
    """Every page of one parent's child list, each child carrying its parent."""
    for page in client.iter_pages(per_record.path.format(id=parent["id"])):
        records = [{**child, per_record.parent_key: parent} for child in page.records]
        yield dataclasses.replace(page, records=records)


def per_record_pages(
    client: HarvestClient, parent_url: str, per_record: PerRecord, today: date
) -> Iterator[Page]:
    """The parents' pages (no records of their own), then every child list, each
    numbered by request, so a refresh's progress counts every request it makes."""
    parents: list[dict] = []
    number = 0
    for page in client.iter_pages(parent_url):
        number += 1
        parents += parents_of(page.records, per_record, today)
        # How many lists follow is known only once every parent page is in.
        yield dataclasses.replace(page, records=[], number=number, total_pages=None)

    # One request per child list: Harvest's largest page holds 2,000 records.
    expected = number + len(parents)
    logger.info(
        "per-record lists path=%s parents=%s requests=%s",
        per_record.path,
        len(parents),
        expected,
    )
    for parent in parents:
        for page in child_pages(client, parent, per_record):
            number += 1
            yield dataclasses.replace(
                page, number=number, total_pages=max(expected, number)
            )


def _keeps(record: dict, row_filter: RowFilter, value: str) -> bool:
    found = flatten(record).get(row_filter.path)
    if found is None:
        return False
    comparisons = {
        "<": found < value,
        "<=": found <= value,
        ">": found > value,
        ">=": found >= value,
        "==": found == value,
        "!=": found != value,
    }
    return comparisons[row_filter.op]


def filter_records(
    records: list[dict], row_filters: Iterable[RowFilter], today: date
) -> list[dict]:
    resolved = [(f, relative_dates.resolve(f.value, today)) for f in row_filters]
    return [r for r in records if all(_keeps(r, f, v) for f, v in resolved)]


def filtered_pages(pages: Iterable, row_filters: tuple, today: date) -> Iterator:
    for page in pages:
        if row_filters:
            page = dataclasses.replace(
                page, records=filter_records(page.records, row_filters, today)
            )
        yield page


def with_page_size(path_and_query: str) -> str:
    """The URL with per_page=2000, as a refresh sends it (fewest requests)."""
    parts = urlsplit(path_and_query)
    if parts.path in OBJECT_PATHS:
        return path_and_query
    query = parse_qsl(parts.query, keep_blank_values=True)
    given = [value for key, value in query if key == "per_page"]
    if given and given[0].isdigit() and int(given[0]) <= MAX_PER_PAGE:
        return path_and_query
    query = [(key, value) for key, value in query if key != "per_page"]
    query.append(("per_page", str(MAX_PER_PAGE)))
    # Colons stay as typed (updated_since=...T00:00:00Z reads as Harvest documents it).
    return urlunsplit(parts._replace(query=urlencode(query, safe=":")))


@dataclass
class Preview:
    url: str
    records: list[dict]
    raw_json: str
    raw_json_truncated: bool
    total_pages: int
    total_entries: int | None
    bucket: str
    # Columns inferred from the first page, as Column dicts.
    columns: list[dict]
    # Requests a refresh will make: every page, plus one per parent record for a
    # list Harvest answers per record.
    requests_per_refresh: int = 1


def _records_of(body: dict) -> tuple[list[dict], str | None]:
    """A list answer's records and wrapper key, or an object answer as one record."""
    for key, value in body.items():
        if key != "links" and isinstance(value, list) and "total_pages" in body:
            return value, key
    return [body], None


def preview(
    client: HarvestClient,
    template: str,
    workspace,
    connection,
    account_id: int,
    row_filters: tuple = (),
    per_record: PerRecord | None = None,
) -> Preview:
    """The first page of a Query URL as a refresh would fetch it."""
    url = with_page_size(
        resolve_url(template, client, workspace, connection, account_id)
    )
    body = client.get(url)
    records, key = _records_of(body)
    raw_json = json.dumps(body, indent=2)
    today = local_today(workspace, connection)
    total_pages = (body.get("total_pages") or 1) if key else 1
    total_entries = body.get("total_entries") if key else 1
    requests = total_pages
    if per_record is not None:
        parents = parents_of(records, per_record, today)
        # Later parent pages are taken to hold as many parents as the first.
        requests = total_pages * (1 + len(parents))
        records = _first_children(client, parents, per_record, row_filters, today)
        total_entries = None
    records = filter_records(records, row_filters, today)
    logger.info(
        "preview fetched connection=%s account=%s rows=%s",
        connection.pk,
        account_id,
        len(records),
    )
    return Preview(
        url=url,
        records=records[:PREVIEW_ROWS],
        raw_json=raw_json[:RAW_JSON_CHARS],
        raw_json_truncated=len(raw_json) > RAW_JSON_CHARS,
        total_pages=total_pages,
        total_entries=total_entries,
        bucket=bucket_for(url),
        columns=[
            c.model_dump(mode="json")
            for c in infer_columns(flatten(r) for r in records[:INFER_SAMPLE])
        ],
        requests_per_refresh=requests,
    )


def _first_children(
    client: HarvestClient,
    parents: list[dict],
    per_record: PerRecord,
    row_filters: tuple,
    today: date,
) -> list[dict]:
    """Enough child records for a preview, asking for a few parents' lists only
    (each is a request the wizard spends from the account's budget)."""
    children: list[dict] = []
    for parent in parents[:PREVIEW_PARENT_REQUESTS]:
        for page in child_pages(client, parent, per_record):
            children += page.records
        if len(filter_records(children, row_filters, today)) >= PREVIEW_ROWS:
            break
    return children
