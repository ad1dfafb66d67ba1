"""Harvest's two pagination styles and their envelopes.

Reference: https://help.getharvest.com/api-v2/introduction/overview/pagination/
"""

import base64
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

import orjson

MAX_PER_PAGE = 2000
CONTROL_PARAMS = {"page", "per_page", "cursor", "ref", "access_token", "account_id"}


class BadParameter(ValueError):
    """A query parameter Harvest would answer with 422."""


@dataclass
class PageRequest:
    """What the caller asked for, plus how to build links back to this endpoint."""

    url_base: str  # e.g. http://127.0.0.1:8010/api/v2/clients
    filters: dict[str, str]  # the request's own query, without control params
    per_page: int
    page: int | None
    cursor: str | None
    endless: bool = False
    next_base: str | None = None  # links.next on another host (fault knob)

    def link(self, next_link: bool = False, **params: object) -> str:
        query = {**self.filters, **{k: str(v) for k, v in params.items()}}
        base = self.next_base if next_link and self.next_base else self.url_base
        return f"{base}?{urlencode(sorted(query.items()))}"


def parse_page_request(
    query: dict[str, str],
    url_base: str,
    default_per_page: int = MAX_PER_PAGE,
    clamp: bool = False,
) -> PageRequest:
    per_page = _positive_int(query, "per_page", default_per_page)
    if per_page > MAX_PER_PAGE:
        if not clamp:
            raise BadParameter("per_page must be between 1 and 2000")
        per_page = MAX_PER_PAGE
    page = _positive_int(query, "page", 0) or None
    cursor = query.get("cursor") or None
    filters = {k: v for k, v in query.items() if k not in CONTROL_PARAMS}
    return PageRequest(url_base, filters, per_page, page, cursor)


def _positive_int(query: dict[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadParameter(f"{name} must be an integer") from None
    if value < 1:
        raise BadParameter(f"{name} must be at least 1")
    return value


def page_based(key: str, items: Sequence, request: PageRequest) -> dict:
    """The page-number envelope (time entries, expenses, invoices, reports...)."""
    total = len(items)
    per_page = request.per_page
    total_pages = math.ceil(total / per_page)
    page = request.page or 1
    start = (page - 1) * per_page
    records = list(items[start : start + per_page])
    has_next = page < total_pages
    if request.endless:
        has_next = True
        if not records and total:
            cycled = (page - 1) % total_pages
            records = list(items[cycled * per_page : (cycled + 1) * per_page])
    last_page = max(total_pages, 1)
    return {
        key: records,
        "per_page": per_page,
        "total_pages": total_pages,
        "total_entries": total,
        "next_page": page + 1 if has_next else None,
        "previous_page": page - 1 if page > 1 else None,
        "page": page,
        "links": {
            "first": request.link(page=1, per_page=per_page),
            "next": request.link(True, page=page + 1, per_page=per_page)
            if has_next
            else None,
            "previous": request.link(page=page - 1, per_page=per_page)
            if page > 1
            else None,
            "last": request.link(page=last_page, per_page=per_page),
        },
    }


def encode_cursor(direction: str, record_id: int) -> str:
    raw = orjson.dumps({direction: {"id": record_id}})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = orjson.loads(base64.urlsafe_b64decode(padded))
        ((direction, anchor),) = data.items()
        if direction not in ("after", "before"):
            raise ValueError(direction)
        return direction, int(anchor["id"])
    except (ValueError, TypeError, KeyError, orjson.JSONDecodeError):
        raise BadParameter("cursor is not valid") from None


def cursor_based(key: str, items: Sequence[dict], request: PageRequest) -> dict:
    """The cursor envelope: numbers only on the first and the last page."""
    if request.cursor is None or request.endless:
        return _cursor_first_or_numbered(key, items, request)

    direction, anchor = decode_cursor(request.cursor)
    position = _position_of(items, anchor)
    per_page = request.per_page
    if direction == "after":
        start = position + 1
        end = min(start + per_page, len(items))
    else:
        end = position
        start = max(0, end - per_page)
    if start == 0:
        return _cursor_first_or_numbered(key, items, request, page=1)
    return _cursor_page(key, items, request, start, end)


def _position_of(items: Sequence[dict], anchor: int) -> int:
    for position, item in enumerate(items):
        if item["id"] == anchor:
            return position
    raise BadParameter("cursor is not valid")


def _cursor_first_or_numbered(
    key: str, items: Sequence[dict], request: PageRequest, page: int | None = None
) -> dict:
    """No cursor: page N (1 by default), with a cursor link to what follows."""
    envelope = page_based(
        key, items, PageRequest(**{**request.__dict__, "page": page or request.page})
    )
    records = envelope[key]
    per_page = request.per_page
    if envelope["next_page"] is not None and records and not request.endless:
        envelope["links"]["next"] = request.link(
            True,
            cursor=encode_cursor("after", records[-1]["id"]),
            per_page=per_page,
            ref="next_cursor",
        )
    links = envelope["links"]
    links["first"] = request.link(page=1, per_page=per_page, ref="first")
    links["last"] = request.link(
        page=max(envelope["total_pages"], 1), per_page=per_page, ref="last"
    )
    if links["previous"] is not None:
        links["previous"] = request.link(
            page=envelope["page"] - 1, per_page=per_page, ref="previous"
        )
    return envelope


def _cursor_page(
    key: str, items: Sequence[dict], request: PageRequest, start: int, end: int
) -> dict:
    per_page = request.per_page
    total = len(items)
    total_pages = math.ceil(total / per_page)
    records = list(items[start:end])
    is_last = end >= total
    links = {
        "first": request.link(page=1, per_page=per_page, ref="first"),
        "next": None,
        "previous": None,
        "last": request.link(page=max(total_pages, 1), per_page=per_page, ref="last"),
    }
    if is_last:
        links["previous"] = request.link(
            page=max(total_pages - 1, 1), per_page=per_page, ref="previous"
        )
    else:
        links["next"] = request.link(
            True,
            cursor=encode_cursor("after", records[-1]["id"]),
            per_page=per_page,
            ref="next_cursor",
        )
        links["previous"] = request.link(
            cursor=encode_cursor("before", records[0]["id"]),
            per_page=per_page,
            ref="previous_cursor",
        )
    return {
        key: records,
        "per_page": per_page,
        "total_pages": total_pages,
        "total_entries": total,
        "next_page": None,
        "previous_page": total_pages - 1 if is_last and total_pages > 1 else None,
        "page": total_pages if is_last else None,
        "links": links,
    }


Paginator = Callable[[str, Sequence, PageRequest], dict]
