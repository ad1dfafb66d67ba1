"""Forms: dashboards, and the no-code Klip editor that builds a KlipSpec.

The editor's fields are plain form fields, so the same code turns them into a
spec for the live preview and for saving, with or without JavaScript.
"""

import re
from typing import Any

from django import forms

from datasources.models import DataSource
from klips import gallery
from klips.gallery_actions import harvest_account_ids
from klips.models import Dashboard, Klip
from klips.query import QueryError, all_columns, check_join, result_columns, sides_for
from klips.render import check_kind
from klips.spec import (
    Aggregation,
    BarMode,
    Bucket,
    FilterOp,
    FormatKind,
    KlipSpec,
    Measure,
    Orientation,
    RelativeWindow,
    SpecError,
    parse_spec,
)

FILTER_ROWS = 3
_THRESHOLD = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*=\s*(#[0-9a-fA-F]{6})\s*$")

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
SORT_CHOICES = [
    ("", "Default"),
    ("group", "First group-by column"),
    ("measure", "First measure"),
]


class DashboardForm(forms.ModelForm):
    class Meta:
        model = Dashboard
        fields = ["name", "shared_with_workspace"]
        labels = {"shared_with_workspace": "Share with my workspace"}


def _choices(values: list[str], blank: str = "—") -> list[tuple[str, str]]:
    return [("", blank)] + [(value, value) for value in values]


class KlipForm(forms.Form):
    name = forms.CharField(max_length=255)
    kind = forms.ChoiceField(choices=Klip.Kind.choices, initial=Klip.Kind.BAR)
    source = forms.ModelChoiceField(queryset=DataSource.objects.none())
    join_source = forms.ModelChoiceField(
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

    agg = forms.ChoiceField(
        choices=[("", "No aggregation: list rows")]
        + [(a.value, a.value.replace("_", " ")) for a in Aggregation],
        required=False,
        initial=Aggregation.SUM,
        label="Aggregation",
    )
    measure_column = forms.ChoiceField(required=False, label="Measure column")
    measure_label = forms.CharField(required=False, max_length=255, label="Label")
    agg_2 = forms.ChoiceField(
        choices=[("", "none")]
        + [(a.value, a.value.replace("_", " ")) for a in Aggregation],
        required=False,
        label="Second measure",
    )
    measure_column_2 = forms.ChoiceField(required=False, label="Second measure column")
    columns = forms.MultipleChoiceField(
        required=False, label="Columns to list (without aggregation)"
    )

    sort_by = forms.ChoiceField(choices=SORT_CHOICES, required=False, label="Sort by")
    direction = forms.ChoiceField(
        choices=[("asc", "ascending"), ("desc", "descending")], required=False
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
    bar_mode = forms.ChoiceField(choices=[(b.value, b.value) for b in BarMode])
    orientation = forms.ChoiceField(choices=[(o.value, o.value) for o in Orientation])
    donut = forms.BooleanField(required=False)
    target = forms.FloatField(required=False)
    target_label = forms.CharField(max_length=100, required=False, initial="Target")
    thresholds = forms.CharField(
        required=False,
        max_length=500,
        help_text="value=#colour pairs, comma-separated, e.g. 0=#dc2626, 40=#16a34a",
    )

    def __init__(
        self, *args: Any, sources, preserved: dict | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # Spec parts the editor has no fields for yet, kept on save (see
        # editorless_parts).
        self.preserved = preserved or {}
        self.fields["source"].queryset = sources
        self.fields["join_source"].queryset = sources
        names = column_choices(sources)
        for field in (
            "group_by",
            "group_by_2",
            "measure_column",
            "measure_column_2",
            "join_left",
            "join_right",
        ):
            self.fields[field].choices = _choices(names)
        self.fields["columns"].choices = [(n, n) for n in names]
        for row in range(1, FILTER_ROWS + 1):
            self.fields[f"filter_column_{row}"] = forms.ChoiceField(
                required=False, choices=_choices(names), label=f"Filter {row}"
            )
            self.fields[f"filter_op_{row}"] = forms.ChoiceField(
                required=False, choices=FILTER_OP_CHOICES, label="operator"
            )
            self.fields[f"filter_value_{row}"] = forms.CharField(
                required=False, max_length=500, label="value"
            )
        self.spec: KlipSpec | None = None
        self.chosen_sources: list[DataSource] = []

    def filter_rows(self) -> list[tuple]:
        """(column, op, value) bound fields per filter row, for the template."""
        return [
            (
                self[f"filter_column_{row}"],
                self[f"filter_op_{row}"],
                self[f"filter_value_{row}"],
            )
            for row in range(1, FILTER_ROWS + 1)
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
            restore_editorless_parts(raw, self.preserved)
            self.spec = parse_spec(raw)
            sides = sides_for(self.spec, {s.pk: s for s in self.chosen_sources})
            result_columns(self.spec, all_columns(sides))
            check_join(self.spec, sides)
            check_kind(data["kind"], self.spec)
        except (SpecError, QueryError, ValueError) as error:
            raise forms.ValidationError(str(error)) from None
        return data


def editorless_parts(spec: dict) -> dict:
    """What a saved spec holds that the editor has no fields for: formulas, a
    second measure's label, measure scales and hidden measures."""
    # TODO: give formulas, scales and hidden measures their own editor fields.
    return {
        "formulas": spec.get("formulas") or [],
        "measures": spec.get("measures") or [],
        "hidden": (spec.get("display") or {}).get("hidden") or [],
    }


def restore_editorless_parts(raw: dict, kept: dict) -> None:
    """Put back what `editorless_parts` kept, where the edited spec still fits it:
    a measure's label and scale stay while its column and aggregation do."""
    if not raw.get("measures"):
        return
    raw["formulas"] = kept.get("formulas") or []
    for measure, saved in zip(
        raw["measures"], kept.get("measures") or [], strict=False
    ):
        if (measure.get("column"), measure["agg"]) != (
            saved.get("column"),
            saved.get("agg"),
        ):
            continue
        measure["label"] = measure.get("label") or saved.get("label")
        measure["scale"] = saved.get("scale")
    keys = {Measure.model_validate(m).key for m in raw["measures"] if _valid(m)}
    hidden = [key for key in kept.get("hidden") or [] if key in keys]
    if hidden:
        raw["display"]["hidden"] = hidden


def _valid(measure: dict) -> bool:
    try:
        Measure.model_validate(measure)
    except ValueError:
        return False
    return True


def column_choices(sources) -> list[str]:
    """Every column name a Klip on these sources may use, joined ones included."""
    # TODO: the pickers list hidden columns too and do not narrow by type (numbers
    # for sum/avg, dates for buckets); clean() rejects a wrong type with a message.
    names = {column["name"] for source in sources for column in source.columns or []}
    joined = {
        f"{source.name}: {column['name']}"
        for source in sources
        for column in source.columns or []
    }
    return sorted(names | joined)


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
    if data.get("agg"):
        spec["measures"] = _measures(data)
    else:
        spec["columns"] = list(data.get("columns") or [])
    spec["filters"] = _filters(data)
    spec["sort"] = _sort(data, spec)
    spec["limit"] = data.get("limit")
    spec["top_n"] = data.get("top_n")
    spec["format"] = {
        "kind": data.get("format_kind") or FormatKind.NUMBER,
        "currency": (data.get("currency") or "USD").upper(),
    }
    spec["display"] = {
        "bar_mode": data.get("bar_mode") or BarMode.GROUPED,
        "orientation": data.get("orientation") or Orientation.VERTICAL,
        "donut": bool(data.get("donut")),
    }
    spec["target"] = data.get("target")
    spec["target_label"] = data.get("target_label") or "Target"
    spec["thresholds"] = parse_thresholds(data.get("thresholds") or "")
    return spec


def _measures(data: dict) -> list[dict]:
    measures = [
        {
            "column": data.get("measure_column") or None,
            "agg": data["agg"],
            "label": data.get("measure_label") or None,
        }
    ]
    if data.get("agg_2"):
        measures.append(
            {"column": data.get("measure_column_2") or None, "agg": data["agg_2"]}
        )
    return measures


def _filters(data: dict) -> list[dict]:
    filters = []
    for row in range(1, FILTER_ROWS + 1):
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


def _sort(data: dict, spec: dict) -> list[dict]:
    direction = data.get("direction") or "asc"
    if data.get("sort_by") == "group" and spec["group_by"]:
        first = spec["group_by"][0]
        key = (
            f"{first['column']} ({first['bucket']})"
            if first["bucket"]
            else first["column"]
        )
        return [{"by": key, "direction": direction}]
    if data.get("sort_by") == "measure" and spec.get("measures"):
        return [{"by": _measure_key(spec["measures"][0]), "direction": direction}]
    return []


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
    measures = spec.get("measures") or []
    initial["agg"] = measures[0]["agg"] if measures else ""
    if measures:
        initial["measure_column"] = measures[0].get("column") or ""
        initial["measure_label"] = measures[0].get("label") or ""
    if len(measures) > 1:
        initial["agg_2"] = measures[1]["agg"]
        initial["measure_column_2"] = measures[1].get("column") or ""
    initial["limit"] = spec.get("limit")
    initial["top_n"] = spec.get("top_n")
    return initial


def _initial_filters(spec: dict) -> dict:
    initial = {}
    filters = (spec.get("filters") or [])[:FILTER_ROWS]
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
        "bar_mode": display.get("bar_mode", BarMode.GROUPED),
        "orientation": display.get("orientation", Orientation.VERTICAL),
        "donut": display.get("donut", False),
        "target": spec.get("target"),
        "target_label": spec.get("target_label", "Target"),
        "thresholds": ", ".join(f"{t['value']:g}={t['colour']}" for t in thresholds),
    }


def _initial_sort(spec: dict) -> dict:
    sort = (spec.get("sort") or [None])[0]
    if not sort:
        return {}
    groups = spec.get("group_by") or []
    measures = spec.get("measures") or []
    first_group = groups[0] if groups else None
    group_key = (
        f"{first_group['column']} ({first_group['bucket']})"
        if first_group and first_group.get("bucket")
        else (first_group or {}).get("column")
    )
    by = "group" if sort["by"] == group_key else ""
    if measures and sort["by"] == _measure_key(measures[0]):
        by = "measure"
    return {"sort_by": by, "direction": sort.get("direction", "asc")}


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
