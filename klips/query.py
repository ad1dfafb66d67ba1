# SQL is assembled from quoted model identifiers and fixed fragments only; every
# value is a parameter (see `quote` and `_filter_sql`).
# ruff: noqa: S608
"""Run a Klip spec as DuckDB SQL over its source's current Parquet version.

Identifiers in the SQL come only from the source's validated column model
(names and paths, double-quoted with quotes doubled); every value from the spec
is a parameter. Results are cached per data version: the key hashes the compiled
SQL and its parameters, which include the version's file and the resolved
relative dates, so a dashboard never recomputes an unchanged Klip.
"""

import hashlib
import json
import logging
import math
import time
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb
import pyarrow.parquet as pq
from django.core.cache import cache
from django.utils import timezone

from datasources.modelling import DUCKDB_TYPES, Column, ColumnType, parse_columns
from datasources.models import DataSource
from datasources.storage import local_path
from klips.spec import (
    MAX_LIMIT,
    OTHER_LABEL,
    Aggregation,
    Bucket,
    DateCalc,
    DateCalcOp,
    Filter,
    FilterOp,
    FormulaOp,
    GroupBy,
    KlipSpec,
    Measure,
    RelativeWindow,
    SpecError,
)

logger = logging.getLogger(__name__)

CACHE_SECONDS = 7 * 24 * 3600
QUERY_MEMORY = "1GB"
LISTING_LIMIT = 1000
NEVER_REFRESHED = "never refreshed"
NO_ROWS = "no rows"
NO_MATCH = "no rows match the filters"

_DATE_TYPES = {ColumnType.DATE, ColumnType.DATETIME}
_NUMBER_TYPES = {
    ColumnType.INTEGER,
    ColumnType.DECIMAL,
    ColumnType.CURRENCY,
    ColumnType.HOURS,
}
_SQL_AGGREGATES = {
    Aggregation.SUM: "sum({})",
    Aggregation.COUNT: "count({})",
    Aggregation.AVG: "avg({})",
    Aggregation.MIN: "min({})",
    Aggregation.MAX: "max({})",
    Aggregation.COUNT_DISTINCT: "count(DISTINCT {})",
}
_COMPARISONS = {
    FilterOp.EQ: "=",
    FilterOp.NE: "<>",
    FilterOp.GT: ">",
    FilterOp.GTE: ">=",
    FilterOp.LT: "<",
    FilterOp.LTE: "<=",
}


class QueryError(Exception):
    """The data could not be queried; the message is safe to show."""


@dataclass
class ResultColumn:
    name: str
    # "dimension", "measure", "formula" or "column" (plain listing).
    role: str
    # A ColumnType value; "percent" for percent formulas.
    type: str


@dataclass
class QueryResult:
    columns: list[ResultColumn]
    rows: list[list[Any]]
    # Why there are no rows, in words for the user; None when there are rows.
    reason: str | None = None
    truncated: bool = False
    version_ids: list[int] = field(default_factory=list)
    from_cache: bool = False

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "QueryResult":
        columns = [ResultColumn(**column) for column in data["columns"]]
        return cls(**{**data, "columns": columns})


@dataclass
class CompiledQuery:
    sql: str
    params: list[Any]
    columns: list[ResultColumn]
    limit: int


def quote(identifier: str) -> str:
    """A DuckDB identifier: double-quoted, inner quotes doubled."""
    return '"' + identifier.replace('"', '""') + '"'


@dataclass
class Side:
    """One source of a Klip: its columns by the names the spec uses, its file."""

    source: DataSource
    columns: dict[str, Column]
    path: Path | None = None
    file_paths: set[str] = field(default_factory=set)

    @property
    def empty(self) -> bool:
        return self.source.current_version.row_count == 0


def run_klip(
    spec: KlipSpec,
    sources: dict[int, DataSource],
    *,
    today: date | None = None,
    time_zone: str = "UTC",
    use_cache: bool = True,
) -> QueryResult:
    """The Klip's rows, from the cache when its data version was queried before."""
    sides = sides_for(spec, sources)
    versions = [side.source.current_version for side in sides]
    if None in versions:
        # Until the first refresh a source may have no modelled columns at all.
        return QueryResult(_columns_if_known(spec, sides), [], reason=NEVER_REFRESHED)
    version_ids = [version.pk for version in versions]
    if sides[0].empty and not sides[0].source.columns:
        # A first refresh without rows leaves the model unset: the recipe's
        # defaults may lack a column the Klip reads, so check nothing yet.
        columns = _columns_if_known(spec, sides)
        return QueryResult(columns, [], reason=NO_ROWS, version_ids=version_ids)
    out_columns = result_columns(spec, all_columns(sides))
    check_join(spec, sides)
    if sides[0].empty:
        return QueryResult(out_columns, [], reason=NO_ROWS, version_ids=version_ids)

    for side in sides:
        side.path = _parquet_path(side.source.current_version)
        side.file_paths = set() if side.empty else set(pq.read_schema(side.path).names)
    today = today or timezone.localdate(timezone=zone(time_zone))
    week_start = sides[0].source.workspace.week_start
    compiled = compile_spec(spec, sides, today=today, week_start=week_start)
    key = cache_key(compiled, version_ids, time_zone)
    if use_cache:
        cached = cache.get(key)
        if cached is not None:
            result = QueryResult.from_dict(cached)
            result.from_cache = True
            return result

    started = time.monotonic()
    result = execute(compiled, time_zone)
    result.version_ids = version_ids
    logger.info(
        "klip query sources=%s versions=%s rows=%s truncated=%s ms=%s",
        spec.sources,
        version_ids,
        len(result.rows),
        result.truncated,
        int((time.monotonic() - started) * 1000),
    )
    cache.set(key, result.to_dict(), CACHE_SECONDS)
    return result


def _columns_if_known(spec: KlipSpec, sides: list[Side]) -> list[ResultColumn]:
    try:
        return result_columns(spec, all_columns(sides))
    except SpecError:
        return []


def sides_for(spec: KlipSpec, sources: dict[int, DataSource]) -> list[Side]:
    """The spec's sources; a joined source's column that shares a name with the
    first source's is called "<source name>: <column name>"."""
    sides = []
    for source_id in spec.sources:
        source = sources.get(source_id)
        if source is None:
            raise QueryError("A data source of this Klip is gone or not available.")
        sides.append(Side(source, _model_of(source)))

    if len(sides) == 2:
        taken = set(sides[0].columns)
        renamed = {}
        for name, column in sides[1].columns.items():
            shown = f"{sides[1].source.name}: {name}" if name in taken else name
            renamed[shown] = column.model_copy(update={"name": shown})
        sides[1].columns = {**_unmodelled_columns(spec, sides, renamed), **renamed}
    return sides


def _unmodelled_columns(
    spec: KlipSpec, sides: list[Side], modelled: dict[str, Column]
) -> dict[str, Column]:
    """Stand-ins for a joined source whose only refresh had no rows (this week's
    time on a Monday morning), so its model is at most the recipe's defaults. The
    other columns the spec asks of it read as empty numbers, so the first
    source's rows still show."""
    version = sides[1].source.current_version
    if version is None or version.row_count or sides[1].source.columns:
        return {}
    wanted = spec.referenced_columns() + ([spec.join.right] if spec.join else [])
    return {
        name: Column(name=name, path=f"__unmodelled.{name}", type=ColumnType.DECIMAL)
        for name in dict.fromkeys(wanted)
        if name not in sides[0].columns and name not in modelled
    }


def all_columns(sides: list[Side]) -> dict[str, Column]:
    merged: dict[str, Column] = {}
    for side in sides:
        merged.update(side.columns)
    return merged


def check_join(spec: KlipSpec, sides: list[Side]) -> None:
    if spec.join is None:
        return
    if spec.join.left not in sides[0].columns:
        raise SpecError(
            f"Join column {spec.join.left!r} is not a column of "
            f"{sides[0].source.name!r}"
        )
    if spec.join.right not in sides[1].columns:
        raise SpecError(
            f"Join column {spec.join.right!r} is not a column of "
            f"{sides[1].source.name!r}"
        )


def _model_of(source: DataSource) -> dict[str, Column]:
    try:
        columns = parse_columns(source.column_model())
        return {column.name: column for column in columns}
    except ValueError as error:
        raise QueryError(
            f"The columns of {source.name!r} are invalid: {error}"
        ) from None


def _parquet_path(version) -> Path:
    try:
        path = local_path(version)
    except (OSError, ValueError) as error:
        logger.warning(
            "klip data file unreadable version=%s error=%s", version.pk, error
        )
        raise QueryError("The stored data of this source cannot be read.") from None
    if not path.exists():
        logger.warning("klip data file missing version=%s", version.pk)
        raise QueryError("The stored data of this source is missing; refresh it.")
    return path


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def cache_key(compiled: CompiledQuery, version_ids: list[int], time_zone: str) -> str:
    payload = json.dumps(
        [compiled.sql, compiled.params, compiled.limit, version_ids, time_zone],
        default=str,
    )
    return "klips:result:" + hashlib.sha256(payload.encode()).hexdigest()


# Compiling --------------------------------------------------------------------


def result_columns(spec: KlipSpec, columns: dict[str, Column]) -> list[ResultColumn]:
    """The result's columns; raises SpecError naming a column the model lacks."""
    reserved = [name for name in spec.referenced_columns() if name.startswith("__")]
    if reserved:
        # The engine's own helper columns start with two underscores.
        raise SpecError(
            "Column names starting with __ are reserved; rename "
            + ", ".join(repr(name) for name in reserved)
            + " in the source's model."
        )
    missing = [name for name in spec.referenced_columns() if name not in columns]
    if missing:
        raise SpecError(
            "Not a column of this data source: "
            + ", ".join(repr(name) for name in missing)
            + ". Pick another column or change the source's model."
        )

    columns = {**columns, **calc_columns(spec, columns)}
    if spec.columns:
        return [
            ResultColumn(name, "column", columns[name].type.value)
            for name in spec.columns
        ]

    result = [_dimension_column(spec, g, columns[g.column]) for g in spec.group_by]
    result += [_measure_column(m, columns) for m in spec.measures]
    measure_types = {c.name: c.type for c in result if c.role == "measure"}
    for formula in spec.formulas:
        kind = {
            FormulaOp.RATIO: ColumnType.DECIMAL.value,
            FormulaOp.PERCENT: "percent",
            FormulaOp.DIFFERENCE: measure_types[formula.left],
        }[formula.op]
        result.append(ResultColumn(formula.label, "formula", kind))
    return result


def calc_columns(spec: KlipSpec, columns: dict[str, Column]) -> dict[str, Column]:
    """The spec's date calculations as columns; SpecError when one cannot run."""
    calculated = {}
    for calc in spec.date_calcs:
        if calc.label.startswith("__"):
            raise SpecError(
                f"Date calculation {calc.label!r}: labels starting with __ are reserved"
            )
        if calc.label in columns:
            raise SpecError(
                f"Date calculation {calc.label!r} has the name of a column of the "
                "source; give it another label"
            )
        for name in calc.dates:
            if columns[name].type not in _DATE_TYPES:
                raise SpecError(
                    f"Date calculation {calc.label!r} needs date columns; "
                    f"{name!r} is {columns[name].type}"
                )
        kind = (
            ColumnType.DECIMAL
            if calc.op == DateCalcOp.ELAPSED_PERCENT
            else ColumnType.INTEGER
        )
        calculated[calc.label] = Column(name=calc.label, path="__calc", type=kind)
    return calculated


def _dimension_column(spec: KlipSpec, group: GroupBy, column: Column) -> ResultColumn:
    if group.bucket and column.type not in _DATE_TYPES:
        raise SpecError(
            f"{column.name!r} is not a date, so it cannot be grouped by {group.bucket}"
        )
    kind = ColumnType.DATE.value if group.bucket else column.type.value
    if spec.top_n and group is spec.group_by[0]:
        kind = ColumnType.TEXT.value
    return ResultColumn(group.key, "dimension", kind)


def _measure_column(measure: Measure, columns: dict[str, Column]) -> ResultColumn:
    if measure.agg in {Aggregation.COUNT, Aggregation.COUNT_DISTINCT}:
        counted = ColumnType.DECIMAL if measure.scale else ColumnType.INTEGER
        return ResultColumn(measure.key, "measure", counted.value)

    column = columns[measure.column]
    if measure.agg in {Aggregation.SUM, Aggregation.AVG} and (
        column.type not in _NUMBER_TYPES
    ):
        raise SpecError(
            f"{measure.agg} needs a number column; {column.name!r} is {column.type}"
        )
    if column.type not in _NUMBER_TYPES | _DATE_TYPES:
        # The smallest or largest text or yes/no is no figure to show.
        raise SpecError(
            f"{measure.agg} needs a number or date column; {column.name!r} is "
            f"{column.type}"
        )
    kind = column.type
    scaled_integer = measure.scale is not None and kind == ColumnType.INTEGER
    if scaled_integer or (
        measure.agg == Aggregation.AVG and kind == ColumnType.INTEGER
    ):
        kind = ColumnType.DECIMAL
    return ResultColumn(measure.key, "measure", kind.value)


def compile_spec(
    spec: KlipSpec, sides: list[Side], *, today: date, week_start: int = 0
) -> CompiledQuery:
    """Parameterised SQL for the spec over its sources' Parquet files; weeks start
    on `week_start` (Python's weekday, Monday=0), as the workspace's do."""
    columns = all_columns(sides)
    out_columns = result_columns(spec, columns)
    columns = {**columns, **calc_columns(spec, columns)}
    params: list[Any] = []
    ctes = _source_ctes(spec, sides, params)
    rows_sql = _with_calcs(spec.date_calcs, params, today)
    where_sql = _where(spec.filters, columns, params, today, week_start)
    ctes.append(f"filtered AS (SELECT * FROM {rows_sql} WHERE {where_sql})")

    if spec.columns:
        select = ", ".join(quote(name) for name in spec.columns)
        body = f"SELECT {select} FROM filtered"
        limit = min(spec.limit or LISTING_LIMIT, MAX_LIMIT)
    else:
        body = _aggregate_body(spec, ctes, params, week_start)
        limit = spec.limit or MAX_LIMIT

    order_sql = _order_by(spec)
    sql = f"WITH {', '.join(ctes)} {body} ORDER BY {order_sql} LIMIT ?"
    # One row past the limit tells a truncated result from an exact fit.
    params.append(limit + 1)
    return CompiledQuery(sql, params, out_columns, limit)


def _source_ctes(spec: KlipSpec, sides: list[Side], params: list[Any]) -> list[str]:
    """`src`: the modelled columns the spec reads, from one source or a join."""
    referenced = spec.referenced_columns()
    if spec.join is None:
        return [f"src AS ({_side_select(sides[0], referenced, params, '1 AS __one')})"]

    left, right = sides
    key_type = DUCKDB_TYPES[left.columns[spec.join.left].type]
    left_key = _key_projection(left, spec.join.left, key_type, "__join_left")
    right_key = _key_projection(right, spec.join.right, key_type, "__join_right")
    left_sql = _side_select(left, referenced, params, left_key)
    right_sql = _side_select(right, referenced, params, right_key)
    return [
        f"left_src AS ({left_sql})",
        f"right_src AS ({right_sql})",
        "src AS (SELECT * EXCLUDE (__join_left, __join_right) FROM left_src "
        "LEFT JOIN right_src ON left_src.__join_left = right_src.__join_right)",
    ]


def _with_calcs(calcs: list[DateCalc], params: list[Any], today: date) -> str:
    """`src`, plus one column per date calculation (today is a parameter)."""
    if not calcs:
        return "src"
    selected = ", ".join(
        f"{_calc_sql(calc, params, today)} AS {quote(calc.label)}" for calc in calcs
    )
    return f"(SELECT *, {selected} FROM src)"


def _calc_sql(calc: DateCalc, params: list[Any], today: date) -> str:
    start = f"CAST({quote(calc.start)} AS DATE)" if calc.start else None
    end = f"CAST({quote(calc.end)} AS DATE)" if calc.end else None
    if calc.op == DateCalcOp.DAYS_BETWEEN:
        return f"date_diff('day', {start}, {end})"
    params.append(today)
    if calc.op == DateCalcOp.DAYS_SINCE:
        return f"date_diff('day', {start}, CAST(? AS DATE))"
    if calc.op == DateCalcOp.DAYS_UNTIL:
        return f"date_diff('day', CAST(? AS DATE), {end})"
    # Before the start nothing has gone by, after the end all of it.
    span = f"date_diff('day', {start}, {end})"
    gone = f"least(greatest(date_diff('day', {start}, CAST(? AS DATE)), 0), {span})"
    share = f"CAST(100.0 * {gone} AS DOUBLE) / {span}"
    return f"(CASE WHEN {end} > {start} THEN {share} END)"


def _key_projection(side: Side, name: str, duck_type: str, alias: str) -> str:
    column = side.columns[name]
    if column.path not in side.file_paths:
        return f"CAST(NULL AS {duck_type}) AS {alias}"
    return f"TRY_CAST({quote(column.path)} AS {duck_type}) AS {alias}"


def _side_select(
    side: Side, referenced: list[str], params: list[Any], extra: str
) -> str:
    parts = [
        _projection(side.columns[name], side.file_paths)
        for name in referenced
        if name in side.columns
    ]
    select = ", ".join([*parts, extra])
    if side.empty:
        # An empty version's file has no columns to read; an empty table will do.
        return f"SELECT {select} FROM (SELECT 1) WHERE FALSE"
    params.append(str(side.path))
    return f"SELECT {select} FROM read_parquet(?)"


def _projection(column: Column, file_paths: set[str]) -> str:
    duck_type = DUCKDB_TYPES[column.type]
    if column.path not in file_paths:
        # No record had this path: the column exists in the model only.
        return f"CAST(NULL AS {duck_type}) AS {quote(column.name)}"
    return f"TRY_CAST({quote(column.path)} AS {duck_type}) AS {quote(column.name)}"


def _dimension_sql(group: GroupBy, week_start: int = 0) -> str:
    column_sql = quote(group.column)
    if group.bucket is None:
        return column_sql
    if group.bucket == Bucket.DAY:
        return f"CAST({column_sql} AS DATE)"
    if group.bucket == Bucket.WEEK and week_start:
        # date_trunc's weeks start on Monday: shift back by the start day, cut,
        # shift forward again (week_start is an int 1-6, never user text).
        shift = f"INTERVAL {int(week_start)} DAY"
        return (
            f"CAST(date_trunc('week', CAST({column_sql} AS DATE) - {shift}) "
            f"+ {shift} AS DATE)"
        )
    return f"CAST(date_trunc('{group.bucket.value}', {column_sql}) AS DATE)"


def _measure_sql(measure: Measure) -> str:
    operand = quote(measure.column) if measure.column else "*"
    return _SQL_AGGREGATES[measure.agg].format(operand)


def _scaled_sql(measure: Measure, params: list[Any]) -> str:
    if measure.scale is None:
        return _measure_sql(measure)
    params.append(measure.scale)
    return f"(CAST({_measure_sql(measure)} AS DOUBLE) * ?)"


def _aggregate_body(
    spec: KlipSpec, ctes: list[str], params: list[Any], week_start: int = 0
) -> str:
    """`grouped`: one row per group, measures aggregated; returns the final SELECT."""
    dimensions = [_dimension_sql(g, week_start) for g in spec.group_by]
    source_cte, other_flag = "filtered", "FALSE"
    if spec.top_n:
        dimensions[0] = _add_top_n(spec, dimensions[0], ctes, params)
        source_cte, other_flag = "labelled", "__other"

    selected = [
        f"{sql} AS {quote(g.key)}"
        for sql, g in zip(dimensions, spec.group_by, strict=True)
    ]
    selected.append(f"{other_flag} AS __other")
    for measure in spec.measures:
        selected.append(f"{_scaled_sql(measure, params)} AS {quote(measure.key)}")
    group_sql = ""
    if spec.group_by:
        # The dimensions and the __other flag, by position.
        group_sql = " GROUP BY " + ", ".join(
            str(n) for n in range(1, len(spec.group_by) + 2)
        )
    ctes.append(
        f"grouped AS (SELECT {', '.join(selected)} FROM {source_cte}{group_sql})"
    )

    keys = [g.key for g in spec.group_by] + [m.key for m in spec.measures]
    formulas = [
        f"{_formula_sql(f.op, f.left, f.right)} AS {quote(f.label)}"
        for f in spec.formulas
    ]
    return f"SELECT {', '.join([quote(k) for k in keys] + formulas)} FROM grouped"


def _add_top_n(spec: KlipSpec, first: str, ctes: list[str], params: list[Any]) -> str:
    """Rank the first dimension's groups by the first measure; groups past N are
    relabelled "Other" (flagged, so a real group named Other stays apart), and
    the measures are then aggregated from the rows, so averages stay exact."""
    ctes.append(
        f"ranked AS (SELECT {first} AS __d, row_number() OVER (ORDER BY "
        f"{_measure_sql(spec.measures[0])} DESC NULLS LAST, {first}) AS __rank "
        f"FROM filtered GROUP BY 1)"
    )
    ctes.append(
        "labelled AS (SELECT f.*, CASE WHEN r.__rank <= ? THEN "
        f"CAST({first} AS VARCHAR) ELSE ? END AS __top, r.__rank > ? AS __other "
        f"FROM filtered f JOIN ranked r ON r.__d IS NOT DISTINCT FROM {first})"
    )
    params.extend([spec.top_n, OTHER_LABEL, spec.top_n])
    return "__top"


def _formula_sql(op: FormulaOp, left: str, right: str) -> str:
    left_sql = f"CAST({quote(left)} AS DOUBLE)"
    right_sql = f"CAST({quote(right)} AS DOUBLE)"
    if op == FormulaOp.DIFFERENCE:
        return f"({left_sql} - {right_sql})"
    if op == FormulaOp.RATIO:
        return f"({left_sql} / NULLIF({right_sql}, 0))"
    return f"(100.0 * {left_sql} / NULLIF({right_sql}, 0))"


def _order_by(spec: KlipSpec) -> str:
    terms = [] if spec.columns else ["__other"]
    if spec.sort:
        terms += [f"{quote(s.by)} {s.direction.value.upper()}" for s in spec.sort]
    elif spec.top_n:
        terms.append(f"{quote(spec.measures[0].key)} DESC")
    else:
        keys = [g.key for g in spec.group_by] or spec.columns[:1]
        terms += [f"{quote(key)} ASC" for key in keys]
    return ", ".join(f"{term} NULLS LAST" for term in terms) if terms else "1"


# Filters ----------------------------------------------------------------------


def _where(
    filters: list[Filter],
    columns: dict[str, Column],
    params: list[Any],
    today: date,
    week_start: int = 0,
) -> str:
    clauses = [
        _filter_sql(f, columns[f.column], params, today, week_start) for f in filters
    ]
    return " AND ".join(clauses) if clauses else "TRUE"


def _filter_sql(
    item: Filter, column: Column, params: list[Any], today: date, week_start: int = 0
) -> str:
    column_sql = quote(column.name)
    if item.op == FilterOp.IS_NULL:
        return f"{column_sql} IS NULL"
    if item.op == FilterOp.NOT_NULL:
        return f"{column_sql} IS NOT NULL"
    if item.op == FilterOp.CONTAINS:
        params.append(str(item.value).lower())
        return f"contains(lower(CAST({column_sql} AS VARCHAR)), ?)"
    if item.op == FilterOp.WITHIN:
        return _window_sql(item, column, params, today, week_start)
    if column.type == ColumnType.DATETIME:
        # Filter values are dates: compare the day, in the workspace's zone.
        column_sql = f"CAST({column_sql} AS DATE)"
    if item.op == FilterOp.IN:
        values = [coerce_value(v, column) for v in item.value]
        if not values:
            return "FALSE"
        params.extend(values)
        return f"{column_sql} IN ({', '.join('?' for _ in values)})"

    params.append(coerce_value(item.value, column))
    return f"{column_sql} {_COMPARISONS[item.op]} ?"


def _window_sql(
    item: Filter, column: Column, params: list[Any], today: date, week_start: int = 0
) -> str:
    if column.type not in _DATE_TYPES:
        raise SpecError(f"{column.name!r} is not a date, so it has no date window")
    start, end = window_dates(RelativeWindow(item.value), today, week_start)
    params.extend([start, end])
    return f"CAST({quote(column.name)} AS DATE) >= ? AND CAST({quote(column.name)} AS DATE) < ?"


def coerce_value(value: Any, column: Column) -> Any:
    """The filter value as the column's Python type, or SpecError."""
    try:
        if column.type in {ColumnType.DATE, ColumnType.DATETIME}:
            parsed = date.fromisoformat(str(value)[:10])
            return parsed
        if column.type == ColumnType.INTEGER:
            return int(value)
        if column.type in _NUMBER_TYPES:
            number = float(value)
            if not math.isfinite(number):
                raise ValueError(value)
            return number
        if column.type == ColumnType.BOOLEAN:
            return _as_bool(value)
    except (TypeError, ValueError):
        raise SpecError(
            f"{value!r} is not a valid {column.type} for column {column.name!r}"
        ) from None
    return str(value)


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "yes", "1"}:
        return True
    if text in {"false", "no", "0"}:
        return False
    raise ValueError(value)


def window_dates(
    window: RelativeWindow, today: date, week_start: int = 0
) -> tuple[date, date]:
    """The window as [start, end) dates; weeks start on `week_start` (Monday=0)."""
    day = timedelta(days=1)
    if window == RelativeWindow.TODAY:
        return today, today + day
    if window == RelativeWindow.YESTERDAY:
        return today - day, today
    if window in {RelativeWindow.THIS_WEEK, RelativeWindow.LAST_WEEK}:
        first = today - timedelta(days=(today.weekday() - week_start) % 7)
        if window == RelativeWindow.LAST_WEEK:
            first -= timedelta(days=7)
        return first, first + timedelta(days=7)
    if window.value.startswith("last_") and window.value.endswith("_days"):
        count = int(window.value.split("_")[1])
        return today - timedelta(days=count - 1), today + day
    return _calendar_window(window, today)


def _calendar_window(window: RelativeWindow, today: date) -> tuple[date, date]:
    months_by_window = {
        RelativeWindow.THIS_MONTH: (1, 0),
        RelativeWindow.LAST_MONTH: (1, -1),
        RelativeWindow.THIS_QUARTER: (3, 0),
        RelativeWindow.LAST_QUARTER: (3, -1),
        RelativeWindow.THIS_YEAR: (12, 0),
        RelativeWindow.LAST_YEAR: (12, -1),
    }
    span, shift = months_by_window[window]
    month_index = today.year * 12 + today.month - 1
    start_index = month_index - month_index % span + shift * span
    start = date(start_index // 12, start_index % 12 + 1, 1)
    end_index = start_index + span
    end = date(end_index // 12, end_index % 12 + 1, 1)
    return start, end


# Executing --------------------------------------------------------------------


def execute(compiled: CompiledQuery, time_zone: str = "UTC") -> QueryResult:
    # Bounded so that several dashboards loading at once cannot exhaust memory.
    connection = duckdb.connect(":memory:", config={"memory_limit": QUERY_MEMORY})
    try:
        connection.execute(f"SET TimeZone = '{zone(time_zone).key}'")
        raw_rows = connection.execute(compiled.sql, compiled.params).fetchall()
    except duckdb.Error as error:
        logger.warning("klip query failed error=%s", str(error).splitlines()[0])
        raise QueryError(
            "The query could not run on this data: " + str(error).splitlines()[0]
        ) from None
    finally:
        connection.close()

    truncated = len(raw_rows) > compiled.limit
    rows = [[json_value(v) for v in row] for row in raw_rows[: compiled.limit]]
    return QueryResult(
        compiled.columns, rows, reason=None if rows else NO_MATCH, truncated=truncated
    )


def json_value(value: Any) -> Any:
    """A DuckDB value as JSON-native data."""
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    return value


# Choices ----------------------------------------------------------------------

CHOICES_LIMIT = 500


def distinct_values(source: DataSource, column_name: str) -> list[str]:
    """Up to CHOICES_LIMIT distinct texts of a column, sorted; cached per version.

    For the dashboard filter bar's suggestions; [] when there is nothing to read.
    """
    version = source.current_version
    column = _model_of(source).get(column_name)
    if version is None or column is None or version.row_count == 0:
        return []
    key = f"klips:choices:{version.pk}:{version.file_name}:{column.path}"
    cached = cache.get(key)
    if cached is not None:
        return cached

    path = _parquet_path(version)
    if column.path not in set(pq.read_schema(path).names):
        return []
    sql = (
        f"SELECT DISTINCT CAST({quote(column.path)} AS VARCHAR) AS v "
        "FROM read_parquet(?) WHERE v IS NOT NULL ORDER BY v LIMIT ?"
    )
    connection = duckdb.connect(":memory:", config={"memory_limit": QUERY_MEMORY})
    try:
        values = [
            row[0]
            for row in connection.execute(sql, [str(path), CHOICES_LIMIT]).fetchall()
        ]
    except duckdb.Error as error:
        logger.warning("klip choices failed source=%s error=%s", source.pk, error)
        return []
    finally:
        connection.close()
    cache.set(key, values, CACHE_SECONDS)
    return values
