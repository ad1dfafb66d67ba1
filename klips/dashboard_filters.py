"""Dashboard-wide filters: a date range, a client, a project and a person.

They live in the dashboard's query string (`?from=2026-12-01&client=Acme`), so
a filtered view is a link to share. Each one reaches the Klips whose sources
have its column and is added to their spec as an ordinary filter, so it is a
bound parameter of the query and part of the result's cache key.
"""

from dataclasses import dataclass, fields
from datetime import date

from django.http import QueryDict

from datasources.models import DataSource
from klips.query import CHOICES_LIMIT, distinct_values
from klips.spec import Filter, FilterOp, KlipSpec

MAX_TEXT = 255
# The columns each filter looks for, as the refresh names Harvest's fields; the
# first one a Klip has is used.
DATE_COLUMNS = ("Spent date", "Issue date", "Due date", "Paid date")
CLIENT_COLUMNS = ("Client name",)
PROJECT_COLUMNS = ("Project name",)
PERSON_COLUMNS = ("User name",)


# The query-string keys of the filter bar, in its order.
FILTER_KEYS = ("from", "to", "client", "project", "person")


class FilterError(ValueError):
    """A filter value that cannot be used; the message is safe to show."""


@dataclass(frozen=True)
class DashboardFilters:
    start: date | None = None
    end: date | None = None
    client: str = ""
    project: str = ""
    person: str = ""

    @property
    def active(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))

    def query(self) -> dict[str, str]:
        """The query-string parameters that set these filters."""
        values = {
            "from": self.start.isoformat() if self.start else "",
            "to": self.end.isoformat() if self.end else "",
            "client": self.client,
            "project": self.project,
            "person": self.person,
        }
        return {key: value for key, value in values.items() if value}

    def for_columns(self, columns: set[str]) -> list[Filter]:
        """The spec filters these dashboard filters add for a Klip with `columns`."""
        added = []
        date_column = _first(DATE_COLUMNS, columns)
        if date_column and self.start:
            added.append(
                Filter(column=date_column, op=FilterOp.GTE, value=str(self.start))
            )
        if date_column and self.end:
            added.append(
                Filter(column=date_column, op=FilterOp.LTE, value=str(self.end))
            )
        for value, candidates in (
            (self.client, CLIENT_COLUMNS),
            (self.project, PROJECT_COLUMNS),
            (self.person, PERSON_COLUMNS),
        ):
            column = _first(candidates, columns)
            if value and column:
                added.append(Filter(column=column, op=FilterOp.EQ, value=value))
        return added

    def apply(self, spec: KlipSpec, columns: set[str]) -> KlipSpec:
        added = self.for_columns(columns)
        if not added:
            return spec
        return spec.model_copy(update={"filters": [*spec.filters, *added]})


def _first(candidates: tuple[str, ...], columns: set[str]) -> str | None:
    return next((name for name in candidates if name in columns), None)


def from_query(query: QueryDict) -> DashboardFilters:
    """The filters in a query string; FilterError names a bad value."""
    start = _date(query.get("from", ""), "From")
    end = _date(query.get("to", ""), "To")
    if start and end and start > end:
        raise FilterError("The date range ends before it starts.")
    return DashboardFilters(
        start=start,
        end=end,
        client=_text(query.get("client", ""), "Client"),
        project=_text(query.get("project", ""), "Project"),
        person=_text(query.get("person", ""), "Person"),
    )


def typed_values(query: QueryDict) -> dict[str, str]:
    """The filter bar's boxes as the user typed them, to show again beside the
    message about a bad one: fixing that box then loses none of the others."""
    return {key: query.get(key, "").strip()[:MAX_TEXT] for key in FILTER_KEYS}


def _date(text: str, label: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FilterError(f"{label} must be a date such as 2026-12-31.") from None


def _text(text: str, label: str) -> str:
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise FilterError(f"{label} is longer than {MAX_TEXT} characters.")
    return text


def choices(sources: list[DataSource]) -> dict[str, list[str]]:
    """Suggestions for the client, project and person boxes, from the sources'
    stored data (each column's distinct values, cached per data version)."""
    found: dict[str, set[str]] = {"client": set(), "project": set(), "person": set()}
    for source in sources:
        names = {column.get("name") for column in source.columns or []}
        for box, candidates in (
            ("client", CLIENT_COLUMNS),
            ("project", PROJECT_COLUMNS),
            ("person", PERSON_COLUMNS),
        ):
            column = _first(candidates, names)
            if column:
                found[box].update(distinct_values(source, column))
    return {box: sorted(values)[:CHOICES_LIMIT] for box, values in found.items()}
