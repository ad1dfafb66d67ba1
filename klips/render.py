"""Turn a query result into what the browser draws: Plotly figures or a table.

Plotly renders a subset of HTML in labels, hover text, titles and tick text, and
Harvest names are data that anyone with a Harvest login can type. So every text
handed to Plotly goes through `escape_text` (< > & as entities, which Plotly
shows literally). Tables are built in the browser with textContent and get the
raw values.
"""

import logging
from collections.abc import Sequence
from datetime import date
from typing import Any

import plotly.graph_objects as go

from klips.query import QueryResult, ResultColumn
from klips.spec import (
    Aggregation,
    BarMode,
    Bucket,
    FormatKind,
    KlipSpec,
    NumberFormat,
    Orientation,
    SpecError,
)

logger = logging.getLogger(__name__)

LABEL_CHARS = 28
# Charts with more categories than this are queried as top N + "Other".
MAX_CATEGORIES = {"bar": 50, "line": 500, "area": 500, "pie": 12, "heatmap": 60}
PALETTE = ["#f36c00", "#2563eb", "#16a34a", "#9333ea", "#dc2626", "#0891b2"]
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "AUD": "A$"}
EMPTY_MESSAGES = {
    "never refreshed": "No data yet: the source has never been refreshed.",
    "no rows": "No rows yet: the source's last refresh returned none.",
    "no rows match the filters": "No rows match this Klip's filters.",
}


def label(value: Any) -> str:
    """A value as a category label: yes/no booleans (as tables show them)."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return "" if value is None else str(value)


def escape_text(value: Any) -> str:
    """Text Plotly shows literally: its pseudo-HTML markers become entities."""
    text = label(value)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def short_label(value: Any, limit: int = LABEL_CHARS) -> str:
    """An escaped tick label, cut to `limit` characters (the hover keeps it all)."""
    text = "(none)" if value is None else label(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return escape_text(text)


# Number formats -----------------------------------------------------------------


def effective_format(spec: KlipSpec, column: ResultColumn | None) -> NumberFormat:
    """A formula's own format, the spec's, or one guessed from the column type."""
    if column is not None and column.role == "formula":
        formula = next((f for f in spec.formulas if f.label == column.name), None)
        if formula is not None and formula.format is not None:
            return formula.format
    if spec.format.kind != FormatKind.NUMBER or column is None:
        return spec.format
    if column.type == "currency" and _split_by_currency(spec):
        # Amounts in several currencies share the axis: no one symbol fits them.
        return spec.format
    guessed = {
        "hours": FormatKind.HOURS,
        "currency": FormatKind.CURRENCY,
        "integer": FormatKind.INTEGER,
        "percent": FormatKind.PERCENT,
    }.get(column.type, FormatKind.NUMBER)
    return spec.format.model_copy(update={"kind": guessed})


def _split_by_currency(spec: KlipSpec) -> bool:
    return any(g.column.lower().endswith("currency") for g in spec.group_by)


def _decimals(fmt: NumberFormat) -> int:
    if fmt.decimals is not None:
        return fmt.decimals
    return 0 if fmt.kind == FormatKind.INTEGER else 2 if fmt.kind != "percent" else 1


def affixes(fmt: NumberFormat) -> tuple[str, str]:
    """(prefix, suffix) around a formatted number; fixed text, never user data."""
    if fmt.kind == FormatKind.HOURS:
        return "", " h"
    if fmt.kind == FormatKind.PERCENT:
        return "", "%"
    if fmt.kind == FormatKind.CURRENCY:
        symbol = CURRENCY_SYMBOLS.get(fmt.currency)
        return (symbol, "") if symbol else (f"{fmt.currency} ", "")
    return "", ""


def d3_format(fmt: NumberFormat) -> str:
    return f",.{_decimals(fmt)}f"


def format_value(value: Any, fmt: NumberFormat) -> str:
    """A number as the user reads it: 1,234.50 h, $99.00, 12.5%."""
    if value is None:
        return ""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return str(value)
    prefix, suffix = affixes(fmt)
    sign = "-" if value < 0 else ""
    return f"{sign}{prefix}{abs(value):,.{_decimals(fmt)}f}{suffix}"


def _hover(fmt: NumberFormat, axis: str) -> str:
    prefix, suffix = affixes(fmt)
    value = f"{prefix}%{{{axis}:{d3_format(fmt)}}}{suffix}"
    return value + "<extra>%{fullData.name}</extra>"


# Entry point ------------------------------------------------------------------


def check_kind(kind: str, spec: KlipSpec) -> None:
    """SpecError when the spec lacks what this kind of Klip draws."""
    if kind == "table":
        return
    if not spec.measures:
        raise SpecError(f"A {kind} Klip needs a measure (an aggregation of a column)")
    if kind in {"heatmap", "scatter"} and not spec.group_by:
        raise SpecError(f"A {kind} Klip needs a group-by column")


def render(kind: str, spec: KlipSpec, result: QueryResult) -> dict:
    """The browser payload: {"kind", "figure"} or {"kind", "table"}, plus "empty"."""
    check_kind(kind, spec)
    result = without_hidden(spec, result)
    if kind == "table":
        return {
            "kind": kind,
            "table": table_payload(spec, result),
            "empty": _empty(result),
        }
    if not result.rows:
        return {
            "kind": kind,
            "figure": empty_figure(result.reason),
            "empty": _empty(result),
        }

    builder = BUILDERS.get(kind, bar_figure)
    figure = builder(spec, result)
    _apply_common_layout(figure)
    return {"kind": kind, "figure": figure.to_plotly_json(), "empty": None}


def without_hidden(spec: KlipSpec, result: QueryResult) -> QueryResult:
    """The result minus the measures the spec computes only for its formulas."""
    hidden = set(spec.display.hidden)
    if not hidden:
        return result
    kept = [i for i, c in enumerate(result.columns) if c.name not in hidden]
    return QueryResult(
        [result.columns[i] for i in kept],
        [[row[i] for i in kept] for row in result.rows],
        reason=result.reason,
        truncated=result.truncated,
        version_ids=result.version_ids,
        from_cache=result.from_cache,
    )


def _empty(result: QueryResult) -> str | None:
    if result.rows:
        return None
    return EMPTY_MESSAGES.get(result.reason or "", "No data.")


def empty_figure(reason: str | None) -> dict:
    message = EMPTY_MESSAGES.get(reason or "", "No data.")
    figure = go.Figure()
    figure.add_annotation(
        text=escape_text(message),
        showarrow=False,
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
    )
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    _apply_common_layout(figure)
    return figure.to_plotly_json()


def _apply_common_layout(figure: go.Figure) -> None:
    # Tick labels wider than these margins make Plotly lay a figure out twice
    # (axes' automargin): ~0.2 s of a 12-Klip dashboard's first draw here, but
    # larger fixed margins would waste a small Klip's space on short labels.
    figure.update_layout(
        margin={"l": 48, "r": 16, "t": 16, "b": 48},
        autosize=True,
        colorway=PALETTE,
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        legend={"orientation": "h"},
    )


# Shapes of the result -----------------------------------------------------------


def _split(result: QueryResult) -> tuple[list[int], list[int]]:
    """Indexes of dimension columns and of value (measure/formula) columns."""
    dims = [i for i, c in enumerate(result.columns) if c.role == "dimension"]
    values = [
        i for i, c in enumerate(result.columns) if c.role in {"measure", "formula"}
    ]
    return dims, values


def _series(result: QueryResult) -> list[tuple[str, list, list]]:
    """(name, categories, values) per trace: by measure, or by the 2nd dimension."""
    dims, values = _split(result)
    rows = result.rows
    if not dims:
        names = [result.columns[i].name for i in values]
        return [("Total", names, [rows[0][i] for i in values])]
    if len(dims) == 1:
        return [
            (result.columns[i].name, [r[dims[0]] for r in rows], [r[i] for r in rows])
            for i in values
        ]

    value_index = values[0]
    by_series: dict[Any, tuple[list, list]] = {}
    for row in rows:
        cats, vals = by_series.setdefault(row[dims[1]], ([], []))
        cats.append(row[dims[0]])
        vals.append(row[value_index])
    return [(label(name), cats, vals) for name, (cats, vals) in by_series.items()]


def _value_column(result: QueryResult) -> ResultColumn | None:
    _, values = _split(result)
    return result.columns[values[0]] if values else None


def _categories(values: Sequence) -> tuple[list[str], list[str]]:
    """Escaped full categories (hover) and escaped short tick labels."""
    full = [escape_text("(none)" if v is None else v) for v in values]
    return full, [short_label(v) for v in values]


def _threshold_colours(spec: KlipSpec, values: Sequence) -> list[str] | None:
    if not spec.thresholds:
        return None
    ordered = sorted(spec.thresholds, key=lambda t: t.value)
    colours = []
    for value in values:
        colour = PALETTE[0]
        for threshold in ordered:
            if value is not None and value >= threshold.value:
                colour = threshold.colour
        colours.append(colour)
    return colours


def _add_target(figure: go.Figure, spec: KlipSpec, horizontal: bool) -> None:
    if spec.target is None:
        return
    line = {"color": "#b91c1c", "dash": "dash", "width": 2}
    label = escape_text(spec.target_label)
    if horizontal:
        figure.add_vline(x=spec.target, line=line, annotation_text=label)
    else:
        figure.add_hline(y=spec.target, line=line, annotation_text=label)


# Builders ---------------------------------------------------------------------


def bar_figure(spec: KlipSpec, result: QueryResult) -> go.Figure:
    fmt = effective_format(spec, _value_column(result))
    horizontal = spec.display.orientation == Orientation.HORIZONTAL
    value_axis = "x" if horizontal else "y"
    figure = go.Figure()
    all_categories: dict[str, str] = {}

    series = _series(result)
    for name, categories, values in series:
        full, short = _categories(categories)
        all_categories.update(zip(full, short, strict=True))
        colours = _threshold_colours(spec, values) if len(series) == 1 else None
        figure.add_bar(
            x=values if horizontal else full,
            y=full if horizontal else values,
            name=escape_text(name),
            orientation="h" if horizontal else "v",
            marker={"color": colours} if colours else None,
            hovertemplate=f"%{{{'y' if horizontal else 'x'}}}: "
            + _hover(fmt, value_axis),
        )

    category_axis = {
        "type": "category",
        "tickmode": "array",
        "tickvals": list(all_categories),
        "ticktext": list(all_categories.values()),
        "automargin": True,
    }
    value_axis_layout = {"tickformat": d3_format(fmt), "zeroline": True}
    _set_affixes(value_axis_layout, fmt)
    if horizontal:
        figure.update_layout(
            yaxis={**category_axis, "autorange": "reversed"}, xaxis=value_axis_layout
        )
    else:
        figure.update_layout(xaxis=category_axis, yaxis=value_axis_layout)
    figure.update_layout(
        barmode="stack" if spec.display.bar_mode == BarMode.STACKED else "group",
        showlegend=len(series) > 1,
    )
    _add_target(figure, spec, horizontal)
    return figure


def _set_affixes(axis: dict, fmt: NumberFormat) -> None:
    prefix, suffix = affixes(fmt)
    if prefix:
        axis["tickprefix"] = prefix
    if suffix:
        axis["ticksuffix"] = suffix


def bucket_tick_label(value: Any, bucket: Bucket | None) -> str:
    """A date axis tick: "Dec 07" for a day or week, "Dec 2026", "Q4 2026", "2026"."""
    day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    if bucket == Bucket.MONTH:
        return f"{day:%b %Y}"
    if bucket == Bucket.QUARTER:
        return f"Q{(day.month - 1) // 3 + 1} {day.year}"
    if bucket == Bucket.YEAR:
        return str(day.year)
    return f"{day:%b %d}"


def line_figure(spec: KlipSpec, result: QueryResult, area: bool = False) -> go.Figure:
    fmt = effective_format(spec, _value_column(result))
    figure = go.Figure()
    date_axis = result.columns[0].type in {"date", "datetime"}
    stacked = area and spec.display.bar_mode == BarMode.STACKED

    series = _series(result)
    for name, categories, values in series:
        x = categories if date_axis else _categories(categories)[0]
        figure.add_scatter(
            x=x,
            y=values,
            name=escape_text(name),
            mode="lines+markers" if len(x) < 60 else "lines",
            fill=("tonexty" if stacked else "tozeroy") if area else None,
            stackgroup="one" if stacked else None,
            hovertemplate="%{x}: " + _hover(fmt, "y"),
        )

    value_axis = {"tickformat": d3_format(fmt)}
    _set_affixes(value_axis, fmt)
    figure.update_layout(yaxis=value_axis, showlegend=len(series) > 1)
    buckets = sorted({c for s in series for c in s[1] if c is not None})
    if date_axis and len(buckets) <= 12:
        # Few buckets: one tick per bucket, not Plotly's daily ticks in between,
        # named for the bucket: a month's first day as "Jan 01" read as a day.
        bucket = spec.group_by[0].bucket if spec.group_by else None
        figure.update_xaxes(
            tickmode="array",
            tickvals=buckets,
            ticktext=[bucket_tick_label(value, bucket) for value in buckets],
        )
    if not date_axis:
        full, short = _categories([c for s in series for c in s[1]])
        figure.update_xaxes(
            type="category", tickmode="array", tickvals=full, ticktext=short
        )
    _add_target(figure, spec, horizontal=False)
    return figure


def area_figure(spec: KlipSpec, result: QueryResult) -> go.Figure:
    return line_figure(spec, result, area=True)


def pie_figure(spec: KlipSpec, result: QueryResult) -> go.Figure:
    fmt = effective_format(spec, _value_column(result))
    name, categories, values = _series(result)[0]
    kept = [(c, v) for c, v in zip(categories, values, strict=True) if v and v > 0]
    left_out = len(categories) - len(kept)
    full = [escape_text("(none)" if c is None else c) for c, _ in kept]

    figure = go.Figure()
    figure.add_pie(
        labels=full,
        values=[v for _, v in kept],
        text=[short_label(c) for c, _ in kept],
        textinfo="percent",
        hole=0.5 if spec.display.donut else 0,
        name=escape_text(name),
        sort=False,
        hovertemplate="%{label}: " + _hover(fmt, "value"),
    )
    if left_out:
        # A pie cannot show zero or negative parts; say so instead of hiding it.
        figure.add_annotation(
            text=f"{left_out} zero or negative values not shown",
            showarrow=False,
            x=0.5,
            y=-0.12,
            xref="paper",
            yref="paper",
        )
    return figure


def _total(spec: KlipSpec, result: QueryResult) -> float | None:
    """The first measure for the whole result: its one row, or the groups added
    up when that means something (sums and counts); otherwise the first group."""
    _, values = _split(result)
    numbers = [r[values[0]] for r in result.rows if r[values[0]] is not None]
    if not numbers:
        return None
    additive = spec.measures and spec.measures[0].agg in {
        Aggregation.SUM,
        Aggregation.COUNT,
    }
    return sum(numbers) if additive else numbers[0]


def gauge_figure(spec: KlipSpec, result: QueryResult) -> go.Figure:
    fmt = effective_format(spec, _value_column(result))
    value = _total(spec, result) or 0
    top = spec.display.gauge_max or max(
        [
            abs(value) * 1.2,
            (spec.target or 0) * 1.2,
            *[t.value for t in spec.thresholds],
        ]
    )
    top = top or 1
    bottom = min(0, value)

    edges = sorted(t.value for t in spec.thresholds)
    colours = {t.value: t.colour for t in spec.thresholds}
    steps = [
        {
            "range": [edge, edges[i + 1] if i + 1 < len(edges) else top],
            "color": colours[edge],
        }
        for i, edge in enumerate(edges)
    ]
    prefix, suffix = affixes(fmt)
    gauge: dict[str, Any] = {
        "axis": {"range": [bottom, top], "tickformat": d3_format(fmt)},
        "bar": {"color": "#1d2330"},
        "steps": steps,
    }
    if spec.target is not None:
        gauge["threshold"] = {
            "value": spec.target,
            "line": {"color": "#b91c1c", "width": 3},
        }

    figure = go.Figure(
        go.Indicator(
            mode="gauge+number",
            value=value,
            number={"prefix": prefix, "suffix": suffix, "valueformat": d3_format(fmt)},
            gauge=gauge,
        )
    )
    return figure


def number_figure(spec: KlipSpec, result: QueryResult) -> go.Figure:
    """The latest value, compared with the one before, over a sparkline."""
    fmt = effective_format(spec, _value_column(result))
    dims, values = _split(result)
    prefix, suffix = affixes(fmt)
    number = {"prefix": prefix, "suffix": suffix, "valueformat": d3_format(fmt)}
    series = [r[values[0]] for r in result.rows]
    dated = bool(dims) and result.columns[dims[0]].type in {"date", "datetime"}

    figure = go.Figure()
    if not dated:
        figure.add_indicator(
            mode="number", value=_total(spec, result) or 0, number=number
        )
        return figure

    current = series[-1] or 0
    indicator: dict[str, Any] = {"mode": "number", "value": current, "number": number}
    if spec.display.compare_previous and len(series) > 1 and series[-2] is not None:
        indicator["mode"] = "number+delta"
        indicator["delta"] = {
            "reference": series[-2],
            "relative": True,
            "valueformat": ".1%",
        }
    figure.add_indicator(**indicator, domain={"x": [0, 1], "y": [0.35, 1]})
    figure.add_scatter(
        x=[r[dims[0]] for r in result.rows],
        y=series,
        mode="lines",
        fill="tozeroy",
        name=escape_text(result.columns[values[0]].name),
        hovertemplate="%{x}: " + _hover(fmt, "y"),
    )
    figure.update_layout(
        xaxis={"visible": False, "domain": [0, 1]},
        yaxis={"visible": False, "domain": [0, 0.3]},
        showlegend=False,
    )
    return figure


def scatter_figure(spec: KlipSpec, result: QueryResult) -> go.Figure:
    dims, values = _split(result)
    labels = [escape_text(r[dims[0]]) for r in result.rows] if dims else None
    if len(values) >= 2:
        x_index, y_index = values[0], values[1]
    else:
        x_index, y_index = (dims[0] if dims else values[0]), values[0]
    x_name = escape_text(result.columns[x_index].name)
    y_name = escape_text(result.columns[y_index].name)

    figure = go.Figure()
    figure.add_scatter(
        x=[
            escape_text(r[x_index]) if x_index in dims else r[x_index]
            for r in result.rows
        ],
        y=[r[y_index] for r in result.rows],
        mode="markers",
        text=labels,
        name=y_name,
        hovertemplate="%{text}<br>%{x} · %{y}<extra></extra>" if labels else None,
    )
    figure.update_layout(
        xaxis={"title": {"text": x_name}}, yaxis={"title": {"text": y_name}}
    )
    return figure


def heatmap_figure(spec: KlipSpec, result: QueryResult) -> go.Figure:
    fmt = effective_format(spec, _value_column(result))
    dims, values = _split(result)
    x_index = dims[0]
    y_index = dims[1] if len(dims) > 1 else None
    xs = list(dict.fromkeys(r[x_index] for r in result.rows))
    ys = list(dict.fromkeys(r[y_index] for r in result.rows)) if y_index else ["Total"]

    x_positions = {value: n for n, value in enumerate(xs)}
    y_positions = {value: n for n, value in enumerate(ys)}
    z = [[None] * len(xs) for _ in ys]
    for row in result.rows:
        line = y_positions[row[y_index]] if y_index else 0
        z[line][x_positions[row[x_index]]] = row[values[0]]

    x_full, x_short = _categories(xs)
    y_full, y_short = _categories(ys)
    figure = go.Figure(
        go.Heatmap(
            x=x_full,
            y=y_full,
            z=z,
            colorscale="Oranges",
            hovertemplate="%{x} · %{y}: " + _hover(fmt, "z"),
            name=escape_text(result.columns[values[0]].name),
        )
    )
    figure.update_xaxes(
        type="category", tickmode="array", tickvals=x_full, ticktext=x_short
    )
    figure.update_yaxes(
        type="category", tickmode="array", tickvals=y_full, ticktext=y_short
    )
    return figure


BUILDERS = {
    "bar": bar_figure,
    "line": line_figure,
    "area": area_figure,
    "pie": pie_figure,
    "gauge": gauge_figure,
    "number": number_figure,
    "scatter": scatter_figure,
    "heatmap": heatmap_figure,
}


# Tables -----------------------------------------------------------------------


def table_payload(spec: KlipSpec, result: QueryResult) -> dict:
    """Columns and cells (raw value for sorting, text for showing); the browser
    builds the table with textContent, so values stay raw here."""
    formats = [
        effective_format(spec, column) if _is_number(column) else None
        for column in result.columns
    ]
    rows = [
        [
            {"v": value, "t": format_value(value, fmt) if fmt else _text(value)}
            for value, fmt in zip(row, formats, strict=True)
        ]
        for row in result.rows
    ]
    columns = [
        {"name": c.name, "numeric": fmt is not None}
        for c, fmt in zip(result.columns, formats, strict=True)
    ]
    return {"columns": columns, "rows": rows, "truncated": result.truncated}


def _is_number(column: ResultColumn) -> bool:
    return column.type in {"integer", "decimal", "currency", "hours", "percent"}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)
