"""Values shown in previews, typed as a Klip would read them."""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from connectors.catalog import Recipe
from datasources.modelling import ColumnType

_QUANTUM = {ColumnType.CURRENCY: Decimal("0.01"), ColumnType.HOURS: Decimal("0.01")}


class CastFailed(ValueError):
    """A stored value does not fit its column's type; the preview shows it raw."""


def typed_value(value, column_type: ColumnType):
    """The value cast to the column's type; CastFailed when it does not fit."""
    if value is None or value == "":
        return None
    try:
        return _cast(value, ColumnType(column_type))
    except (ValueError, TypeError, InvalidOperation) as error:
        raise CastFailed(str(value)) from error


def _cast(value, column_type: ColumnType):
    if column_type == ColumnType.INTEGER:
        return int(value)
    if column_type in {ColumnType.DECIMAL, ColumnType.CURRENCY, ColumnType.HOURS}:
        number = Decimal(str(value))
        quantum = _QUANTUM.get(column_type)
        return number.quantize(quantum) if quantum else number
    if column_type == ColumnType.DATE:
        return date.fromisoformat(str(value))
    if column_type == ColumnType.DATETIME:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if column_type == ColumnType.BOOLEAN:
        if isinstance(value, bool):
            return value
        return {"true": True, "false": False}[str(value).lower()]
    return str(value)


def typed_rows(rows: list[dict], columns: list[dict]) -> list[list[dict]]:
    """Cells per visible column: {"value", "invalid"} for the template."""
    visible = [c for c in columns if not c.get("hidden")]
    table = []
    for row in rows:
        cells = []
        for column in visible:
            raw = row.get(column["path"])
            try:
                cells.append(
                    {"value": typed_value(raw, column["type"]), "invalid": False}
                )
            except CastFailed:
                cells.append({"value": raw, "invalid": True})
        table.append(cells)
    return table


def ordered_columns(columns: list[dict], recipe: Recipe | None) -> list[dict]:
    """The recipe's default columns first, in its order, then the rest."""
    first = list(recipe.default_columns) if recipe else []
    order = {path: index for index, path in enumerate(first)}
    return sorted(columns, key=lambda c: order.get(c["path"], len(order)))
