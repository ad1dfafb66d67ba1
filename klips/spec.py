"""The Klip spec: what to query and how to show it, as validated data.

A spec names columns by their modelled name (`Project name`), never by path, so
renaming or retyping a column in the source's model reaches every Klip. The spec
is stored as JSON on `Klip.spec`; `parse_spec` is the only way in.
"""

import re
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

MAX_LIMIT = 10_000
OTHER_LABEL = "Other"

ColumnName = Annotated[str, Field(min_length=1, max_length=255)]
_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")


class SpecError(ValueError):
    """A spec that cannot run; the message is safe to show to the user."""


class Bucket(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


class Aggregation(StrEnum):
    SUM = "sum"
    COUNT = "count"
    AVG = "avg"
    MIN = "min"
    MAX = "max"
    COUNT_DISTINCT = "count_distinct"


class FormulaOp(StrEnum):
    RATIO = "ratio"
    DIFFERENCE = "difference"
    PERCENT = "percent"


class DateCalcOp(StrEnum):
    """Row-level date arithmetic against today, in the workspace's time zone."""

    # today - start, in days
    DAYS_SINCE = "days_since"
    # end - today, in days
    DAYS_UNTIL = "days_until"
    # end - start, in days
    DAYS_BETWEEN = "days_between"
    # 100 * (today - start) / (end - start), held between 0 and 100
    ELAPSED_PERCENT = "elapsed_percent"


DATE_CALC_NEEDS = {
    DateCalcOp.DAYS_SINCE: ("start",),
    DateCalcOp.DAYS_UNTIL: ("end",),
    DateCalcOp.DAYS_BETWEEN: ("start", "end"),
    DateCalcOp.ELAPSED_PERCENT: ("start", "end"),
}


class FilterOp(StrEnum):
    EQ = "eq"
    NE = "ne"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    CONTAINS = "contains"
    IN = "in"
    IS_NULL = "is_null"
    NOT_NULL = "not_null"
    WITHIN = "within"


class RelativeWindow(StrEnum):
    TODAY = "today"
    YESTERDAY = "yesterday"
    THIS_WEEK = "this_week"
    LAST_WEEK = "last_week"
    THIS_MONTH = "this_month"
    LAST_MONTH = "last_month"
    THIS_QUARTER = "this_quarter"
    LAST_QUARTER = "last_quarter"
    THIS_YEAR = "this_year"
    LAST_YEAR = "last_year"
    LAST_7_DAYS = "last_7_days"
    LAST_30_DAYS = "last_30_days"
    LAST_90_DAYS = "last_90_days"


class Direction(StrEnum):
    ASC = "asc"
    DESC = "desc"


class FormatKind(StrEnum):
    NUMBER = "number"
    INTEGER = "integer"
    HOURS = "hours"
    CURRENCY = "currency"
    PERCENT = "percent"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GroupBy(_Strict):
    column: ColumnName
    # Only for date and datetime columns.
    bucket: Bucket | None = None

    @property
    def key(self) -> str:
        """The result column's name."""
        return f"{self.column} ({self.bucket})" if self.bucket else self.column


class Measure(_Strict):
    # None only with `count`: count the rows.
    column: ColumnName | None = None
    agg: Aggregation = Aggregation.SUM
    label: str | None = Field(default=None, max_length=255)
    # Multiplies the aggregate: 1/3600 turns Harvest's capacity seconds into hours.
    scale: float | None = Field(default=None, gt=0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _column_needed(self) -> "Measure":
        if self.column is None and self.agg != Aggregation.COUNT:
            raise ValueError(f"Aggregation {self.agg} needs a column")
        return self

    @property
    def key(self) -> str:
        if self.label:
            return self.label
        if self.column is None:
            return "Count"
        return f"{self.agg.replace('_', ' ').capitalize()} of {self.column}"


class NumberFormat(_Strict):
    kind: FormatKind = FormatKind.NUMBER
    currency: str = "USD"
    decimals: int | None = Field(default=None, ge=0, le=6)

    @model_validator(mode="after")
    def _currency_code(self) -> "NumberFormat":
        if not _CURRENCY_CODE.match(self.currency):
            raise ValueError("Currency must be a three-letter code such as USD")
        return self


class Formula(_Strict):
    """A value computed from two measures of the same row, by their keys."""

    label: str = Field(min_length=1, max_length=255)
    op: FormulaOp
    left: str
    right: str
    # How this formula's values read; None: the Klip's format.
    format: NumberFormat | None = None


class DateCalc(_Strict):
    """A column computed per row from date columns and today: `label` can then be
    grouped, measured, filtered and listed like a modelled column."""

    label: ColumnName
    op: DateCalcOp
    start: ColumnName | None = None
    end: ColumnName | None = None

    @model_validator(mode="after")
    def _dates_needed(self) -> "DateCalc":
        needed = DATE_CALC_NEEDS[self.op]
        for side in ("start", "end"):
            if side in needed and getattr(self, side) is None:
                raise ValueError(
                    f"Date calculation {self.label!r} ({self.op}) needs "
                    + ("a start date" if side == "start" else "an end date")
                )
            if side not in needed and getattr(self, side) is not None:
                raise ValueError(
                    f"Date calculation {self.label!r} ({self.op}) takes no {side} date"
                )
        return self

    @property
    def dates(self) -> list[str]:
        return [name for name in (self.start, self.end) if name is not None]


class Filter(_Strict):
    column: ColumnName
    op: FilterOp
    value: str | int | float | bool | list[str | int | float] | None = None

    @model_validator(mode="after")
    def _value_fits_op(self) -> "Filter":
        if self.op in {FilterOp.IS_NULL, FilterOp.NOT_NULL}:
            return self
        if self.value is None:
            raise ValueError(f"Filter on {self.column} ({self.op}) needs a value")
        if self.op == FilterOp.IN and not isinstance(self.value, list):
            raise ValueError(f"Filter on {self.column} (in) needs a list of values")
        if self.op != FilterOp.IN and isinstance(self.value, list):
            raise ValueError(f"Filter on {self.column} ({self.op}) takes one value")
        if self.op == FilterOp.WITHIN:
            windows = {w.value for w in RelativeWindow}
            if self.value not in windows:
                raise ValueError(
                    f"Unknown date window {self.value!r}; one of "
                    + ", ".join(sorted(windows))
                )
        return self


class Sort(_Strict):
    # A group-by key, a measure key or a formula label.
    by: str = Field(min_length=1, max_length=255)
    direction: Direction = Direction.ASC


class Threshold(_Strict):
    """From `value` upwards, values are drawn in `colour`."""

    value: float
    colour: str

    @model_validator(mode="after")
    def _hex(self) -> "Threshold":
        if not _HEX_COLOUR.match(self.colour):
            raise ValueError("Colours are #rrggbb")
        return self


class BarMode(StrEnum):
    GROUPED = "grouped"
    STACKED = "stacked"


class Orientation(StrEnum):
    VERTICAL = "vertical"
    HORIZONTAL = "horizontal"


class Display(_Strict):
    """How a kind draws; fields a kind does not use are ignored."""

    bar_mode: BarMode = BarMode.GROUPED
    orientation: Orientation = Orientation.VERTICAL
    donut: bool = False
    gauge_max: float | None = None
    compare_previous: bool = True
    # Measures computed for a formula but not drawn (by key).
    hidden: list[str] = Field(default_factory=list, max_length=6)


class Join(_Strict):
    """Rows of the first source, each with the second source's row whose `right`
    column equals its `left` column (a left join: no match leaves them empty)."""

    left: ColumnName
    right: ColumnName


class KlipSpec(_Strict):
    sources: list[int] = Field(min_length=1, max_length=2)
    join: Join | None = None
    group_by: list[GroupBy] = Field(default_factory=list, max_length=2)
    measures: list[Measure] = Field(default_factory=list, max_length=6)
    formulas: list[Formula] = Field(default_factory=list, max_length=4)
    date_calcs: list[DateCalc] = Field(default_factory=list, max_length=2)
    # Plain listing (table without measures): these columns, row by row.
    columns: list[ColumnName] = Field(default_factory=list, max_length=50)
    filters: list[Filter] = Field(default_factory=list, max_length=20)
    sort: list[Sort] = Field(default_factory=list, max_length=3)
    limit: int | None = Field(default=None, ge=1, le=MAX_LIMIT)
    top_n: int | None = Field(default=None, ge=1, le=100)
    format: NumberFormat = Field(default_factory=NumberFormat)
    thresholds: list[Threshold] = Field(default_factory=list, max_length=10)
    target: float | None = None
    target_label: str = Field(default="Target", max_length=100)
    display: Display = Field(default_factory=Display)

    @model_validator(mode="after")
    def _consistent(self) -> "KlipSpec":
        if len(self.sources) == 2 and self.join is None:
            raise ValueError("Two sources need a join: which columns match")
        if len(self.sources) == 1 and self.join is not None:
            raise ValueError("A join needs a second source")
        if len(set(self.sources)) != len(self.sources):
            raise ValueError("A source cannot be joined with itself")
        if self.measures and self.columns:
            raise ValueError("A Klip either aggregates (measures) or lists columns")
        if self.group_by and not self.measures:
            raise ValueError("Grouping needs at least one measure")
        if self.top_n and not self.group_by:
            raise ValueError("Top N needs a group-by column")

        keys = [g.key for g in self.group_by] + [m.key for m in self.measures]
        keys += [f.label for f in self.formulas]
        repeated = sorted({k for k in keys if keys.count(k) > 1})
        if repeated:
            raise ValueError(
                "Each group-by, measure and formula needs its own label; repeated: "
                + ", ".join(repeated)
            )

        measure_keys = {m.key for m in self.measures}
        for formula in self.formulas:
            for side in (formula.left, formula.right):
                if side not in measure_keys:
                    raise ValueError(
                        f"Formula {formula.label!r} uses {side!r}, which is not a "
                        "measure of this Klip"
                    )

        unknown = [key for key in self.display.hidden if key not in measure_keys]
        if unknown:
            raise ValueError(
                "Only measures can be hidden; not a measure: " + ", ".join(unknown)
            )

        calc_labels = [calc.label for calc in self.date_calcs]
        repeated = sorted({k for k in calc_labels if calc_labels.count(k) > 1})
        if repeated:
            raise ValueError(
                "Each date calculation needs its own label; repeated: "
                + ", ".join(repeated)
            )
        for calc in self.date_calcs:
            if set(calc.dates) & set(calc_labels):
                raise ValueError(
                    f"Date calculation {calc.label!r} must use date columns of the "
                    "source, not another calculation"
                )

        sortable = set(keys) | set(self.columns)
        for sort in self.sort:
            if sort.by not in sortable:
                raise ValueError(f"Cannot sort by {sort.by!r}: it is not in the Klip")
        return self

    @property
    def result_keys(self) -> list[str]:
        if self.columns:
            return list(self.columns)
        keys = [g.key for g in self.group_by] + [m.key for m in self.measures]
        return keys + [f.label for f in self.formulas]

    def referenced_columns(self) -> list[str]:
        """Every modelled column name the spec reads, in first-use order; date
        calculations count as the date columns they read."""
        calc_labels = {calc.label for calc in self.date_calcs}
        names = [g.column for g in self.group_by]
        names += [m.column for m in self.measures if m.column]
        names += self.columns + [f.column for f in self.filters]
        used = [name for name in names if name not in calc_labels]
        used += [name for calc in self.date_calcs for name in calc.dates]
        return list(dict.fromkeys(used))


def parse_spec(raw: Any) -> KlipSpec:
    """A KlipSpec, or SpecError with one readable line per problem."""
    try:
        return KlipSpec.model_validate(raw)
    except ValidationError as error:
        raise SpecError(_readable(error)) from None


def _readable(error: ValidationError) -> str:
    lines = []
    for problem in error.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in problem["loc"])
        message = problem["msg"].removeprefix("Value error, ")
        lines.append(f"{where}: {message}" if where else message)
    return "; ".join(lines)
