"""Modelled columns: names, paths into the stored records, and types.

Stored records are flattened before they are written: nested objects become
dotted paths (`project.name`), lists become JSON text. A column points at one
path and gives it a type; Klips read columns by name, so renaming or retyping a
column reaches every Klip built on the source.
"""

import json
import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, Field, field_validator


class ColumnType(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    CURRENCY = "currency"
    DATE = "date"
    DATETIME = "datetime"
    BOOLEAN = "boolean"
    HOURS = "hours"


# The DuckDB type each column type is cast to when a Klip queries it.
DUCKDB_TYPES: dict[ColumnType, str] = {
    ColumnType.TEXT: "VARCHAR",
    ColumnType.INTEGER: "BIGINT",
    ColumnType.DECIMAL: "DECIMAL(18, 4)",
    ColumnType.CURRENCY: "DECIMAL(18, 2)",
    ColumnType.DATE: "DATE",
    ColumnType.DATETIME: "TIMESTAMPTZ",
    ColumnType.BOOLEAN: "BOOLEAN",
    ColumnType.HOURS: "DECIMAL(18, 4)",
}

_MONEY_NAMES = re.compile(
    r"(amount|rate|price|cost|fee|budget_spent|budget_remaining|tax|discount|total)"
)
_DATE_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME_TEXT = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$"
)


class Column(BaseModel):
    name: str = Field(min_length=1, max_length=255)
    path: str = Field(min_length=1, max_length=500)
    type: ColumnType = ColumnType.TEXT
    hidden: bool = False

    @field_validator("name", "path")
    @classmethod
    def _no_control_characters(cls, value: str) -> str:
        if any(ord(ch) < 32 for ch in value):
            raise ValueError("must not contain control characters")
        return value


def flatten(record: dict, prefix: str = "") -> dict:
    """One level of keys: nested objects become dotted paths, lists JSON text."""
    return _flatten_into({}, record, prefix)


def _flatten_into(flat: dict, record: dict, prefix: str) -> dict:
    # Runs for every stored record (a million per large refresh): exact type
    # checks, as JSON only ever gives dict and list, and no intermediate dicts.
    for key, value in record.items():
        kind = type(value)
        if kind is dict:
            _flatten_into(flat, value, f"{prefix}{key}.")
        elif kind is list:
            flat[prefix + key] = json.dumps(value, default=str)
        else:
            flat[prefix + key] = value
    return flat


def _guess_type(path: str, values: list) -> ColumnType:
    present = [v for v in values if v is not None]
    leaf = path.rsplit(".", 1)[-1]
    if not present:
        return ColumnType.TEXT
    if all(isinstance(v, bool) for v in present):
        return ColumnType.BOOLEAN
    if all(isinstance(v, int | float | Decimal) for v in present):
        if leaf in {"hours", "rounded_hours", "hours_without_timer"} or leaf.endswith(
            "_hours"
        ):
            return ColumnType.HOURS
        if leaf == "id" or leaf.endswith("_id"):
            return ColumnType.INTEGER
        if _MONEY_NAMES.search(leaf):
            return ColumnType.CURRENCY
        if all(isinstance(v, int) for v in present):
            return ColumnType.INTEGER
        return ColumnType.DECIMAL
    if all(isinstance(v, str) for v in present):
        if all(_DATE_TEXT.match(v) for v in present):
            return ColumnType.DATE
        if all(_DATETIME_TEXT.match(v) for v in present):
            return ColumnType.DATETIME
    if all(isinstance(v, date | datetime) for v in present):
        return (
            ColumnType.DATETIME if isinstance(present[0], datetime) else ColumnType.DATE
        )
    return ColumnType.TEXT


def _label(path: str) -> str:
    """`project.name` -> `Project name`; `spent_date` -> `Spent date`."""
    words = path.replace(".", " ").replace("_", " ").split()
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def infer_columns(records: Iterable[dict]) -> list[Column]:
    """Columns for flattened records, in first-seen order, with guessed types."""
    values_by_path: dict[str, list] = {}
    for record in records:
        for path, value in record.items():
            values_by_path.setdefault(path, []).append(value)

    columns = []
    used_names: set[str] = set()
    for path, values in values_by_path.items():
        name = _label(path)
        while name in used_names:
            name = f"{name} ({path})"
        used_names.add(name)
        columns.append(Column(name=name, path=path, type=_guess_type(path, values)))
    return columns


_BOOLEAN_LEAVES = {"billable", "billable_by_default", "budget_is_monthly"}


def _type_from_path(path: str) -> ColumnType:
    """A column type guessed from the path alone, for a model without data."""
    leaf = path.rsplit(".", 1)[-1]
    if leaf in {"hours", "rounded_hours"} or leaf.endswith("_hours"):
        return ColumnType.HOURS
    if leaf == "id" or leaf.endswith("_id"):
        return ColumnType.INTEGER
    if leaf.startswith("is_") or leaf in _BOOLEAN_LEAVES:
        return ColumnType.BOOLEAN
    if leaf.endswith(("_date", "_on")):
        return ColumnType.DATE
    if leaf.endswith("_at"):
        return ColumnType.DATETIME
    if leaf == "currency":
        return ColumnType.TEXT
    if _MONEY_NAMES.search(leaf):
        return ColumnType.CURRENCY
    if leaf == "weekly_capacity":
        return ColumnType.INTEGER
    if leaf == "budget":
        return ColumnType.DECIMAL
    return ColumnType.TEXT


def default_columns(paths: Iterable[str]) -> list[Column]:
    """Columns for record paths that have no data yet (a catalog recipe's chosen
    paths before a refresh brings rows), named as `infer_columns` names them."""
    return [
        Column(name=_label(path), path=path, type=_type_from_path(path))
        for path in dict.fromkeys(paths)
    ]


def parse_columns(raw: list[dict]) -> list[Column]:
    """Validate stored column JSON; names must be unique since Klips use them."""
    columns = [Column.model_validate(item) for item in raw]
    names = [c.name for c in columns]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(
            f"Column names must be unique; repeated: {', '.join(duplicates)}"
        )
    return columns
