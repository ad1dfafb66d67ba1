"""Forms: dashboards, and the no-code Klip editor that builds a KlipSpec.

The editor's fields are plain form fields, so the same code turns them into a
spec for the live preview and for saving, with or without JavaScript.
"""

import re
from collections import Counter
from typing import Any

from django import forms

from datasources.modelling import Column
from datasources.models import DataSource
from klips import gallery
from klips.gallery_actions import harvest_account_ids
from klips.models import Dashboard, Klip
from klips.query import (
    QueryError,
    all_columns,
    calc_columns,
    check_join,
    coerce_value,
    result_columns,
    sides_for,
)
from klips.render import check_kind
from klips.spec import (
    DATE_CALC_NEEDS,
    Aggregation,
    BarMode,
    Bucket,
    DateCalcOp,
    FilterOp,
    FormatKind,
    FormulaOp,
    KlipSpec,
    Measure,
    Orientation,
    RelativeWindow,
    SpecError,
    parse_spec,
)

# Filter rows shown at least; a saved Klip with more filters gets a row for each.
FILTER_ROWS = 3
MAX_FILTERS = 20
# As many rows as the spec holds, so an edit never drops a measure or formula.
MEASURE_ROWS = 6
FORMULA_ROWS = 4
DATE_CALC_ROWS = 2
SORT_ROWS = 3
MEASURE_FIELDS = ("agg", "measure_column", "measure_label", "measure_scale")
_THRESHOLD = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*=\s*(#[0-9a-fA-F]{6})\s*$")
_SCALE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:/\s*(\d+(?:\.\d+)?))?\s*$")
NUMBER_TYPES = ["integer", "decimal", "currency", "hours"]
DATE_TYPES = ["date", "datetime"]
# Aggregations the measure pickers offer number columns for (the query refuses
# sum and average of anything else, min and max of text and yes/no).
NUMBER_AGGREGATIONS = ["sum", "avg", "min", "max"]

FILTER_OP_CHOICES = [
    ("", "—"),
    (FilterOp.EQ, "is"),
    (FilterOp.NE, "is not"),
    (FilterOp.CONTAINS, "contains"),
    (FilterOp.IN, "is one of (comma-separated)"),
    (FilterOp.GT, ">"),
    (FilterOp.GTE, "≥"),
    (FilterOp.LT, "<"),
    (FilterOp.LTE, "≤"),
    (FilterOp.IS_NULL, "is empty"),
    (FilterOp.NOT_NULL, "is not empty"),
] + [
    (f"within:{window.value}", f"in {window.value.replace('_', ' ')}")
    for window in RelativeWindow
]
FORMULA_OP_CHOICES = [
    ("", "—"),
    (FormulaOp.RATIO, "÷ (ratio)"),
    (FormulaOp.DIFFERENCE, "minus (difference)"),
    (FormulaOp.PERCENT, "as % of"),
]
DATE_CALC_CHOICES = [
    ("", "—"),
    (DateCalcOp.DAYS_SINCE, "days since the start date"),
    (DateCalcOp.DAYS_UNTIL, "days until the end date"),
    (DateCalcOp.DAYS_BETWEEN, "days from start to end"),
    (DateCalcOp.ELAPSED_PERCENT, "% of the time from start to end gone by"),
]


def row_field(name: str, row: int) -> str:
    """A row field's name (measures, sorts): row 1 keeps the plain names."""
    return name if row == 1 else f"{name}_{row}"


FIXED_SORT_CHOICES = (
    [
        ("", "Default"),
        ("group", "First group-by column"),
        ("group_2", "Second group-by column"),
    ]
    + [
        (row_field("measure", row), f"Measure {row}")
        for row in range(1, MEASURE_ROWS + 1)
    ]
    + [(f"formula_{row}", f"Formula {row}") for row in range(1, FORMULA_ROWS + 1)]
)
COLUMN_SORT = "column:"
_TYPED_OPS = {"eq", "ne", "gt", "gte", "lt", "lte", "in"}
COLUMN_ERRORS = {
    "invalid_choice": "%(value)s is not a column you can use: it is hidden in its "
    "source's model, or none of your sources has it."
}


class DashboardForm(forms.ModelForm):
    class Meta:
        model = Dashboard
        fields = ["name", "shared_with_workspace"]
        labels = {"shared_with_workspace": "Share with my workspace"}


def _choices(values: list[str], blank: str = "—") -> list[tuple[str, str]]:
    return [("", blank)] + [(value, value) for value in values]


class SourceChoiceField(forms.ModelChoiceField):
    """Sources by name; a name that repeats also shows its account, owner and id,
    so two "Time entries (this month)" can be told apart."""

    repeated: set[str] = set()

    def label_from_instance(self, source: DataSource) -> str:
        if source.name not in self.repeated:
            return source.name
        return f"{source.name} ({source_origin(source)}, #{source.pk})"


def source_origin(source: DataSource) -> str:
    """Whose source it is and which Harvest account it reads, in words."""
    owner = source.owner.get_full_name() or source.owner.email
    connection = source.connection
    names = {
        int(account["id"]): account.get("name")
        for account in (connection.accounts if connection else None) or []
    }
    account = names.get(source.account_id) or f"account {source.account_id}"
    return f"{account}, {owner}"


class KlipForm(forms.Form):
    name = forms.CharField(max_length=255)
    kind = forms.ChoiceField(choices=Klip.Kind.choices, initial=Klip.Kind.BAR)
    source = SourceChoiceField(queryset=DataSource.objects.none())
    join_source = SourceChoiceField(
        queryset=DataSource.objects.none(),
        required=False,
        label="Join with",
        empty_label="— no join —",
    )
    join_left = forms.ChoiceField(required=False, label="where")
    join_right = forms.ChoiceField(required=False, label="equals")

    group_by = forms.ChoiceField(required=False, label="Group by")
    bucket = forms.ChoiceField(
        required=False, choices=_choices([b.value for b in Bucket], "no bucket")
    )
    group_by_2 = forms.ChoiceField(required=False, label="Then by")
    bucket_2 = forms.ChoiceField(
        required=False, choices=_choices([b.value for b in Bucket], "no bucket")
    )
    columns = forms.MultipleChoiceField(
        required=False, label="Columns to list (without aggregation)"
    )

    limit = forms.IntegerField(required=False, min_value=1, max_value=10_000)
    top_n = forms.IntegerField(
        required=False, min_value=1, max_value=100, label='Top N (rest as "Other")'
    )

    format_kind = forms.ChoiceField(
        choices=[(f.value, f.value) for f in FormatKind],
        initial=FormatKind.NUMBER,
        label="Number format",
    )
    currency = forms.CharField(max_length=3, initial="USD", required=False)
    decimals = forms.IntegerField(
        required=False, min_value=0, max_value=6, label="Decimals"
    )
    bar_mode = forms.ChoiceField(choices=[(b.value, b.value) for b in BarMode])
    orientation = forms.ChoiceField(choices=[(o.value, o.value) for o in Orientation])
    donut = forms.BooleanField(required=False)
    gauge_max = forms.FloatField(required=False, label="Gauge maximum")
    compare_previous = forms.BooleanField(
        required=False, initial=True, label="Number: compare with the bucket before"
    )
    target = forms.FloatField(required=False)
    target_label = forms.CharField(max_length=100, required=False, initial="Target")
    thresholds = forms.CharField(
        required=False,
        max_length=500,
        help_text="value=#colour pairs, comma-separated, e.g. 0=#dc2626, 40=#16a34a",
    )

    def __init__(self, *args: Any, sources, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.filter_count = self._filter_count()
        self._add_row_fields()
        self.fields["source"].queryset = sources
        self.fields["join_source"].queryset = sources
        counts = Counter(source.name for source in sources)
        repeated = {name for name, count in counts.items() if count > 1}
        self.fields["source"].repeated = repeated
        self.fields["join_source"].repeated = repeated
        self._set_column_choices(sources)
        self.spec: KlipSpec | None = None
        self.chosen_sources: list[DataSource] = []

    def _add_row_fields(self) -> None:
        aggregations = [(a.value, a.value.replace("_", " ")) for a in Aggregation]
        for row in range(1, MEASURE_ROWS + 1):
            blank = "No aggregation: list rows" if row == 1 else "none"
            self.fields[row_field("agg", row)] = forms.ChoiceField(
                choices=[("", blank), *aggregations],
                required=False,
                initial=Aggregation.SUM if row == 1 else "",
                label="Aggregation" if row == 1 else f"Measure {row}",
            )
            self.fields[row_field("measure_column", row)] = forms.ChoiceField(
                required=False, label=f"Measure {row} column"
            )
            self.fields[row_field("measure_label", row)] = forms.CharField(
                required=False, max_length=255, label="Label"
            )
            self.fields[row_field("measure_scale", row)] = forms.CharField(
                required=False,
                max_length=40,
                label="Multiply by",
                help_text="e.g. 1/3600 turns seconds into hours",
            )
            self.fields[row_field("measure_hidden", row)] = forms.BooleanField(
                required=False, label="Hide (only feeds a formula)"
            )
        measure_refs = [("", "—")] + [
            (str(row), f"Measure {row}") for row in range(1, MEASURE_ROWS + 1)
        ]
        formats = [("", "as the Klip")] + [(f.value, f.value) for f in FormatKind]
        for row in range(1, FORMULA_ROWS + 1):
            self.fields[f"formula_label_{row}"] = forms.CharField(
                required=False, max_length=255, label=f"Formula {row}"
            )
            self.fields[f"formula_left_{row}"] = forms.ChoiceField(
                required=False, choices=measure_refs, label="is"
            )
            self.fields[f"formula_op_{row}"] = forms.ChoiceField(
                required=False, choices=FORMULA_OP_CHOICES, label="operation"
            )
            self.fields[f"formula_right_{row}"] = forms.ChoiceField(
                required=False, choices=measure_refs, label="and"
            )
            self.fields[f"formula_format_{row}"] = forms.ChoiceField(
                required=False, choices=formats, label="shown as"
            )
        for row in range(1, DATE_CALC_ROWS + 1):
            self.fields[f"calc_label_{row}"] = forms.CharField(
                required=False, max_length=255, label=f"Date calculation {row}"
            )
            self.fields[f"calc_op_{row}"] = forms.ChoiceField(
                required=False, choices=DATE_CALC_CHOICES, label="is"
            )
            self.fields[f"calc_start_{row}"] = forms.ChoiceField(
                required=False, label="start date"
            )
            self.fields[f"calc_end_{row}"] = forms.ChoiceField(
                required=False, label="end date"
            )
        for row in range(1, SORT_ROWS + 1):
            self.fields[row_field("sort_by", row)] = forms.ChoiceField(
                required=False, label="Sort by" if row == 1 else "then by"
            )
            self.fields[row_field("direction", row)] = forms.ChoiceField(
                choices=[("asc", "ascending"), ("desc", "descending")], required=False
            )
        for row in range(1, self.filter_count + 1):
            self.fields[f"filter_column_{row}"] = forms.ChoiceField(
                required=False, label=f"Filter {row}"
            )
            self.fields[f"filter_op_{row}"] = forms.ChoiceField(
                required=False, choices=FILTER_OP_CHOICES, label="operator"
            )
            self.fields[f"filter_value_{row}"] = forms.CharField(
                required=False, max_length=500, label="value"
            )

    def _set_column_choices(self, sources) -> None:
        """Visible columns only; measures and date calculations' own labels too."""
        names = column_choices(sources) + self._calc_labels()
        dates = column_choices(sources, types=DATE_TYPES)
        picked = [f"group_by{s}" for s in ("", "_2")] + ["join_left", "join_right"]
        picked += [row_field("measure_column", r) for r in range(1, MEASURE_ROWS + 1)]
        picked += [f"filter_column_{row}" for row in range(1, self.filter_count + 1)]
        for field in picked:
            self.fields[field].choices = _choices(names)
            self.fields[field].error_messages.update(COLUMN_ERRORS)
        for row in range(1, DATE_CALC_ROWS + 1):
            for side in ("start", "end"):
                self.fields[f"calc_{side}_{row}"].choices = _choices(dates)
                self.fields[f"calc_{side}_{row}"].error_messages.update(COLUMN_ERRORS)
        # Browsers post a multiple select's choices in page order: the listed
        # columns come first, in the Klip's order, so an edit keeps that order.
        listed = self._listed_columns()
        ordered = [n for n in listed if n in names] + [
            n for n in names if n not in listed
        ]
        self.fields["columns"].choices = [(n, n) for n in ordered]
        self.fields["columns"].error_messages.update(COLUMN_ERRORS)
        for row in range(1, SORT_ROWS + 1):
            self.fields[row_field("sort_by", row)].choices = FIXED_SORT_CHOICES + [
                (COLUMN_SORT + name, name) for name in names
            ]

    def _listed_columns(self) -> list[str]:
        if self.is_bound:
            getlist = getattr(self.data, "getlist", None)
            return getlist("columns") if getlist else list(self.data.get("columns", []))
        return list(self.initial.get("columns") or [])

    def _filter_count(self) -> int:
        """Rows for every saved or posted filter, and FILTER_ROWS at least."""
        source = self.data if self.is_bound else self.initial
        rows = [
            int(match[1])
            for key in source
            if (match := re.fullmatch(r"filter_column_(\d+)", key))
        ]
        return min(max([FILTER_ROWS, *rows]), MAX_FILTERS)

    def _calc_labels(self) -> list[str]:
        """The date calculations' labels, posted or saved: columns like any other."""
        labels = []
        for row in range(1, DATE_CALC_ROWS + 1):
            key = f"calc_label_{row}"
            value = self.data.get(key) if self.is_bound else self.initial.get(key)
            if value and str(value).strip():
                labels.append(str(value).strip())
        return labels

    def measure_rows(self) -> list[tuple]:
        """(aggregation, column, label, scale, hidden) bound fields per row."""
        return [
            tuple(
                self[row_field(name, row)]
                for name in (*MEASURE_FIELDS, "measure_hidden")
            )
            for row in range(1, MEASURE_ROWS + 1)
        ]

    def formula_rows(self) -> list[tuple]:
        parts = ("label", "left", "op", "right", "format")
        return [
            tuple(self[f"formula_{part}_{row}"] for part in parts)
            for row in range(1, FORMULA_ROWS + 1)
        ]

    def calc_rows(self) -> list[tuple]:
        parts = ("label", "op", "start", "end")
        return [
            tuple(self[f"calc_{part}_{row}"] for part in parts)
            for row in range(1, DATE_CALC_ROWS + 1)
        ]

    def sort_rows(self) -> list[tuple]:
        """(key, direction) bound fields per sort row."""
        return [
            (self[row_field("sort_by", row)], self[row_field("direction", row)])
            for row in range(1, SORT_ROWS + 1)
        ]

    def filter_rows(self) -> list[tuple]:
        """(column, op, value) bound fields per filter row, for the template."""
        return [
            (
                self[f"filter_column_{row}"],
                self[f"filter_op_{row}"],
                self[f"filter_value_{row}"],
            )
            for row in range(1, self.filter_count + 1)
        ]

    def clean(self) -> dict:
        data = super().clean()
        source = data.get("source")
        if source is None or self.errors:
            return data

        self.chosen_sources = [source]
        if data.get("join_source"):
            self.chosen_sources.append(data["join_source"])
        try:
            raw = spec_from_form(data, [s.pk for s in self.chosen_sources])
            spec = parse_spec(raw)
            sides = sides_for(spec, {s.pk: s for s in self.chosen_sources})
            result_columns(spec, all_columns(sides))
            check_join(spec, sides)
            check_kind(data["kind"], spec)
            columns = {**all_columns(sides), **calc_columns(spec, all_columns(sides))}
            refuse_hidden(spec, columns)
            self.spec = parse_spec({**raw, "filters": typed_filters(spec, columns)})
        except (SpecError, QueryError, ValueError) as error:
            raise forms.ValidationError(str(error)) from None
        return data


def refuse_hidden(spec: KlipSpec, columns: dict[str, Column]) -> None:
    """The pickers leave hidden columns out; one posted by hand is refused."""
    for name in spec.referenced_columns():
        if columns[name].hidden:
            raise SpecError(
                f"{name!r} is hidden in its source's model; show it there to use it "
                "in a Klip."
            )


def typed_filters(spec: KlipSpec, columns: dict[str, Column]) -> list[dict]:
    """Filter values typed in as text, stored as numbers on number columns."""
    filters = []
    for item in spec.filters:
        value = item.value
        if columns[item.column].type.value in NUMBER_TYPES and item.op in _TYPED_OPS:
            values = value if isinstance(value, list) else [value]
            typed = [coerce_value(v, columns[item.column]) for v in values]
            value = typed if isinstance(value, list) else typed[0]
        filters.append({**item.model_dump(mode="json"), "value": value})
    return filters


def column_choices(sources, types: list[str] | None = None) -> list[str]:
    """The visible column names a Klip on these sources may use, joined ones
    included ("Source: Column"); only those of `types` when given."""
    wanted = [
        (source, column)
        for source in sources
        for column in source.column_model()
        if not column.get("hidden") and (types is None or column["type"] in types)
    ]
    names = {column["name"] for _, column in wanted}
    joined = {f"{source.name}: {column['name']}" for source, column in wanted}
    return sorted(names | joined)


def editor_columns(sources) -> dict[str, Any]:
    """What the editor's script needs: per source its visible columns with types
    and how many rows it has (None: never refreshed), and which types each
    picker takes."""
    by_source = {
        str(source.pk): {
            "name": source.name,
            "rows": source.current_version.row_count
            if source.current_version
            else None,
            "columns": [
                {"name": column["name"], "type": column["type"]}
                for column in source.column_model()
                if not column.get("hidden")
            ],
        }
        for source in sources
    }
    return {
        "sources": by_source,
        "number_types": NUMBER_TYPES,
        "date_types": DATE_TYPES,
        "number_aggregations": NUMBER_AGGREGATIONS,
    }


def spec_from_form(data: dict, source_ids: list[int]) -> dict:
    """The spec dict the editor's fields describe."""
    spec: dict[str, Any] = {"sources": source_ids}
    if len(source_ids) > 1:
        spec["join"] = {"left": data.get("join_left"), "right": data.get("join_right")}
    spec["group_by"] = [
        {"column": data[column], "bucket": data.get(bucket) or None}
        for column, bucket in (("group_by", "bucket"), ("group_by_2", "bucket_2"))
        if data.get(column)
    ]
    spec["date_calcs"] = _date_calcs(data)
    measures_by_row: dict[int, dict] = {}
    if data.get("agg"):
        measures_by_row = _measures(data)
        spec["measures"] = list(measures_by_row.values())
        spec["formulas"] = _formulas(data, measures_by_row)
    else:
        spec["columns"] = list(data.get("columns") or [])
    spec["filters"] = _filters(data)
    spec["sort"] = _sort(data, spec, measures_by_row)
    spec["limit"] = data.get("limit")
    spec["top_n"] = data.get("top_n")
    spec["format"] = {
        "kind": data.get("format_kind") or FormatKind.NUMBER,
        "currency": (data.get("currency") or "USD").upper(),
        "decimals": data.get("decimals"),
    }
    spec["display"] = {
        "bar_mode": data.get("bar_mode") or BarMode.GROUPED,
        "orientation": data.get("orientation") or Orientation.VERTICAL,
        "donut": bool(data.get("donut")),
        "gauge_max": data.get("gauge_max"),
        "compare_previous": bool(data.get("compare_previous")),
        "hidden": _hidden(data, measures_by_row, spec.get("formulas") or []),
    }
    spec["target"] = data.get("target")
    spec["target_label"] = data.get("target_label") or "Target"
    spec["thresholds"] = parse_thresholds(data.get("thresholds") or "")
    return spec


def _measures(data: dict) -> dict[int, dict]:
    """The filled measure rows by row number (formulas refer to rows)."""
    measures = {}
    for row in range(1, MEASURE_ROWS + 1):
        agg = data.get(row_field("agg", row))
        if not agg:
            continue
        column = data.get(row_field("measure_column", row)) or None
        if column is None and agg != Aggregation.COUNT:
            raise forms.ValidationError(
                f"Measure {row} ({agg.replace('_', ' ')}) needs a column."
            )
        measures[row] = {
            "column": column,
            "agg": agg,
            "label": data.get(row_field("measure_label", row)) or None,
            "scale": parse_scale(data.get(row_field("measure_scale", row)) or ""),
        }
    return measures


def parse_scale(text: str) -> float | None:
    """ "1/3600" or "0.5" as a factor; blank is none."""
    if not text.strip():
        return None
    match = _SCALE.match(text)
    factor = None
    if match:
        divisor = float(match[2]) if match[2] else 1.0
        factor = float(match[1]) / divisor if divisor else None
    if not factor:
        raise forms.ValidationError(
            f"Multiply by {text.strip()!r}: use a positive number or a fraction such "
            "as 1/3600"
        )
    return factor


def scale_text(scale: float | None) -> str:
    """The editor's text for a saved factor: 1/3600 rather than 0.000277…"""
    if scale is None:
        return ""
    divisor = round(1 / scale)
    if divisor > 1 and 1 / divisor == scale:
        return f"1/{divisor}"
    return format(scale, "g") if float(format(scale, "g")) == scale else repr(scale)


def _formulas(data: dict, measures: dict[int, dict]) -> list[dict]:
    formulas = []
    for row in range(1, FORMULA_ROWS + 1):
        parts = {
            part: data.get(f"formula_{part}_{row}") or ""
            for part in ("label", "left", "op", "right", "format")
        }
        if not any(parts[p] for p in ("label", "left", "op", "right")):
            continue
        if not all(parts[p] for p in ("label", "left", "op", "right")):
            raise forms.ValidationError(
                f"Formula {row} needs a label, two measures and an operation."
            )
        sides = []
        for side in ("left", "right"):
            measure = measures.get(int(parts[side]))
            if measure is None:
                raise forms.ValidationError(
                    f"Formula {parts['label']!r} uses measure {parts[side]}, "
                    "which is empty."
                )
            sides.append(_measure_key(measure))
        formula = {"label": parts["label"], "op": parts["op"]}
        formula.update(left=sides[0], right=sides[1])
        if parts["format"]:
            formula["format"] = {
                "kind": parts["format"],
                "currency": (data.get("currency") or "USD").upper(),
            }
        formulas.append(formula)
    return formulas


def _hidden(data: dict, measures: dict[int, dict], formulas: list[dict]) -> list:
    """Keys of the measures ticked hidden; each must feed a formula."""
    used = {key for formula in formulas for key in (formula["left"], formula["right"])}
    hidden = []
    for row, measure in measures.items():
        if not data.get(row_field("measure_hidden", row)):
            continue
        key = _measure_key(measure)
        if key not in used:
            raise forms.ValidationError(
                f"Measure {row} ({key}) is hidden but no formula uses it: show it "
                "or use it in a formula."
            )
        hidden.append(key)
    return hidden


def _date_calcs(data: dict) -> list[dict]:
    calcs = []
    for row in range(1, DATE_CALC_ROWS + 1):
        label = (data.get(f"calc_label_{row}") or "").strip()
        op = data.get(f"calc_op_{row}") or ""
        if not label and not op:
            continue
        if not label or not op:
            raise forms.ValidationError(
                f"Date calculation {row} needs a label and what to calculate."
            )
        calc = {"label": label, "op": op}
        for side in DATE_CALC_NEEDS[DateCalcOp(op)]:
            calc[side] = data.get(f"calc_{side}_{row}") or None
        calcs.append(calc)
    return calcs


def _filters(data: dict) -> list[dict]:
    filters = []
    for row in range(1, MAX_FILTERS + 1):
        column = data.get(f"filter_column_{row}")
        op = data.get(f"filter_op_{row}")
        if not column or not op:
            continue
        value: Any = data.get(f"filter_value_{row}") or None
        if op.startswith("within:"):
            op, value = "within", op.split(":", 1)[1]
        elif op == FilterOp.IN:
            value = [part.strip() for part in (value or "").split(",") if part.strip()]
        filters.append({"column": column, "op": op, "value": value})
    return filters


def _group_key(group: dict) -> str:
    return (
        f"{group['column']} ({group['bucket']})" if group["bucket"] else group["column"]
    )


def _sort(data: dict, spec: dict, measures: dict[int, dict]) -> list[dict]:
    sort = []
    for row in range(1, SORT_ROWS + 1):
        choice = data.get(row_field("sort_by", row)) or ""
        if not choice:
            continue
        key = _sort_key(choice, spec, measures)
        if key is None:
            raise forms.ValidationError(
                f"Sort {row}: that part of the Klip ({choice}) is empty."
            )
        direction = data.get(row_field("direction", row)) or "asc"
        sort.append({"by": key, "direction": direction})
    return sort


def _sort_key(choice: str, spec: dict, measures: dict[int, dict]) -> str | None:
    """The result key a sort choice names: a column, group, measure or formula."""
    groups = spec["group_by"]
    formulas = spec.get("formulas") or []
    if choice.startswith(COLUMN_SORT):
        return choice.removeprefix(COLUMN_SORT)
    if choice in {"group", "group_2"}:
        index = 0 if choice == "group" else 1
        return _group_key(groups[index]) if len(groups) > index else None
    if choice.startswith("measure"):
        row = int(choice.removeprefix("measure").lstrip("_") or 1)
        return _measure_key(measures[row]) if row in measures else None
    index = int(choice.removeprefix("formula_")) - 1
    return formulas[index]["label"] if index < len(formulas) else None


def _measure_key(measure: dict) -> str:
    return Measure.model_validate(measure).key


def parse_thresholds(text: str) -> list[dict]:
    thresholds = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        match = _THRESHOLD.match(part)
        if not match:
            raise forms.ValidationError(
                f"Threshold {part!r} is not value=#rrggbb, e.g. 40=#16a34a"
            )
        thresholds.append({"value": float(match[1]), "colour": match[2]})
    return thresholds


def initial_from_klip(klip: Klip) -> dict:
    """Editor fields for a saved Klip (the reverse of spec_from_form)."""
    spec = klip.spec or {}
    initial: dict[str, Any] = {"name": klip.name, "kind": klip.kind}
    for part in (
        _initial_sources,
        _initial_data,
        _initial_measures,
        _initial_calcs,
        _initial_filters,
        _initial_sort,
        _initial_look,
    ):
        initial.update(part(spec))
    return initial


def _initial_sources(spec: dict) -> dict:
    sources = spec.get("sources") or [None]
    initial = {"source": sources[0]}
    if len(sources) > 1 and spec.get("join"):
        initial["join_source"] = sources[1]
        initial["join_left"] = spec["join"]["left"]
        initial["join_right"] = spec["join"]["right"]
    return initial


def _initial_data(spec: dict) -> dict:
    initial: dict[str, Any] = {"columns": spec.get("columns") or []}
    groups = spec.get("group_by") or []
    for group, suffix in zip(groups, ("", "_2"), strict=False):
        initial[f"group_by{suffix}"] = group["column"]
        initial[f"bucket{suffix}"] = group.get("bucket") or ""
    initial["limit"] = spec.get("limit")
    initial["top_n"] = spec.get("top_n")
    return initial


def _initial_measures(spec: dict) -> dict:
    measures = spec.get("measures") or []
    hidden = set((spec.get("display") or {}).get("hidden") or [])
    initial: dict[str, Any] = {"agg": ""}
    row_of = {}
    for row, measure in enumerate(measures, start=1):
        key = _measure_key(measure)
        row_of[key] = row
        initial[row_field("agg", row)] = measure["agg"]
        initial[row_field("measure_column", row)] = measure.get("column") or ""
        initial[row_field("measure_label", row)] = measure.get("label") or ""
        initial[row_field("measure_scale", row)] = scale_text(measure.get("scale"))
        initial[row_field("measure_hidden", row)] = key in hidden
    for row, formula in enumerate(spec.get("formulas") or [], start=1):
        initial[f"formula_label_{row}"] = formula["label"]
        initial[f"formula_op_{row}"] = formula["op"]
        initial[f"formula_left_{row}"] = str(row_of.get(formula["left"], ""))
        initial[f"formula_right_{row}"] = str(row_of.get(formula["right"], ""))
        initial[f"formula_format_{row}"] = (formula.get("format") or {}).get("kind", "")
    return initial


def _initial_calcs(spec: dict) -> dict:
    initial = {}
    for row, calc in enumerate(spec.get("date_calcs") or [], start=1):
        initial[f"calc_label_{row}"] = calc["label"]
        initial[f"calc_op_{row}"] = calc["op"]
        initial[f"calc_start_{row}"] = calc.get("start") or ""
        initial[f"calc_end_{row}"] = calc.get("end") or ""
    return initial


def _initial_filters(spec: dict) -> dict:
    initial = {}
    filters = (spec.get("filters") or [])[:MAX_FILTERS]
    for row, item in enumerate(filters, start=1):
        initial[f"filter_column_{row}"] = item["column"]
        if item["op"] == "within":
            initial[f"filter_op_{row}"] = f"within:{item['value']}"
            continue
        initial[f"filter_op_{row}"] = item["op"]
        value = item.get("value")
        text = ", ".join(map(str, value)) if isinstance(value, list) else value
        initial[f"filter_value_{row}"] = "" if text is None else text
    return initial


def _initial_look(spec: dict) -> dict:
    fmt = spec.get("format") or {}
    display = spec.get("display") or {}
    thresholds = spec.get("thresholds") or []
    return {
        "format_kind": fmt.get("kind", FormatKind.NUMBER),
        "currency": fmt.get("currency", "USD"),
        "decimals": fmt.get("decimals"),
        "bar_mode": display.get("bar_mode", BarMode.GROUPED),
        "orientation": display.get("orientation", Orientation.VERTICAL),
        "donut": display.get("donut", False),
        "gauge_max": display.get("gauge_max"),
        "compare_previous": display.get("compare_previous", True),
        "target": spec.get("target"),
        "target_label": spec.get("target_label", "Target"),
        "thresholds": ", ".join(f"{t['value']:g}={t['colour']}" for t in thresholds),
    }


def _initial_sort(spec: dict) -> dict:
    choices = {}
    for index, group in enumerate(spec.get("group_by") or []):
        choices[_group_key({"bucket": None, **group})] = ("group", "group_2")[index]
    for row, measure in enumerate(spec.get("measures") or [], start=1):
        choices.setdefault(_measure_key(measure), row_field("measure", row))
    for row, formula in enumerate(spec.get("formulas") or [], start=1):
        choices.setdefault(formula["label"], f"formula_{row}")
    initial = {}
    for row, sort in enumerate((spec.get("sort") or [])[:SORT_ROWS], start=1):
        by = choices.get(sort["by"], COLUMN_SORT + sort["by"])
        initial[row_field("sort_by", row)] = by
        initial[row_field("direction", row)] = sort.get("direction", "asc")
    return initial


class GalleryAddForm(forms.Form):
    """One gallery Klip or dashboard, and the Harvest account its sources read."""

    item = forms.ChoiceField()
    account = forms.ChoiceField(label="Harvest account")
    dashboard = forms.ModelChoiceField(
        queryset=Dashboard.objects.none(),
        required=False,
        label="Add Klips to",
        empty_label="—",
    )

    def __init__(self, *args, connections, dashboards, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.connections = {connection.pk: connection for connection in connections}
        self.fields["item"].choices = [
            (f"klip:{item.slug}", item.name) for item in gallery.KLIPS
        ] + [(f"dashboard:{item.slug}", item.name) for item in gallery.DASHBOARDS]
        self.fields["account"].choices = [
            (f"{connection.pk}:{account_id}", _account_label(connection, account_id))
            for connection in connections
            for account_id in harvest_account_ids(connection)
        ]
        self.fields["dashboard"].queryset = dashboards

    def clean(self) -> dict:
        cleaned = super().clean()
        kind = (cleaned.get("item") or "").split(":", 1)[0]
        if kind == "klip" and not cleaned.get("dashboard"):
            self.add_error("dashboard", "Pick the dashboard the Klip goes on.")
        return cleaned

    @property
    def kind_and_slug(self) -> tuple[str, str]:
        kind, slug = self.cleaned_data["item"].split(":", 1)
        return kind, slug

    @property
    def connection_and_account(self) -> tuple[Any, int]:
        connection_id, account_id = self.cleaned_data["account"].split(":", 1)
        return self.connections[int(connection_id)], int(account_id)


def _account_label(connection, account_id: int) -> str:
    names = {int(a["id"]): a.get("name", "") for a in connection.accounts or []}
    return f"{names.get(account_id) or account_id} ({connection.name})"
