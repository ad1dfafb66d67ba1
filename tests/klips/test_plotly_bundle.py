"""The vendored plotly.js is a partial bundle (tools/plotly-bundle/): it must
register every trace type a Klip can emit, and nothing the Klips never draw."""

import re
from datetime import date
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders

from klips.models import Klip
from klips.query import run_klip
from klips.render import check_kind, render
from klips.spec import SpecError, parse_spec

TODAY = date(2026, 12, 9)
HOURS = {"column": "Hours", "agg": "sum"}
# One spec per shape of result the builders branch on: one dimension, a date
# bucket, two dimensions (a series per value), no dimension, two measures.
SPEC_SHAPES = [
    {"group_by": [{"column": "Project name"}], "measures": [HOURS]},
    {"group_by": [{"column": "Spent date", "bucket": "week"}], "measures": [HOURS]},
    {
        "group_by": [
            {"column": "Spent date", "bucket": "week"},
            {"column": "Project name"},
        ],
        "measures": [HOURS],
    },
    {"measures": [HOURS], "target": 20},
    {
        "group_by": [{"column": "Project name"}],
        "measures": [{"agg": "count"}, HOURS],
    },
]
PLOTLY_SCRIPT = re.compile(r"""\{% static '(vendor/plotly[^']*\.js)' %\}""")
# Each trace module in the bundle declares itself as {moduleType:"trace",
# name:"bar", ...}; esbuild's minifier keeps those keys and strings.
TRACE_MODULE = re.compile(r'moduleType:"trace",name:"(\w+)"')


def emitted_trace_types(source) -> dict[str, set[str]]:
    """Trace types in the figures of every Klip kind, for every spec shape."""
    emitted: dict[str, set[str]] = {}
    for kind in Klip.Kind.values:
        for shape in SPEC_SHAPES:
            spec = parse_spec({"sources": [source.pk], **shape})
            try:
                check_kind(kind, spec)
            except SpecError:
                # This kind refuses this shape (a heatmap needs a group-by).
                continue
            result = run_klip(spec, {source.pk: source}, today=TODAY)
            payload = render(kind, spec, result)
            for trace in payload.get("figure", {}).get("data", []):
                emitted.setdefault(trace["type"], set()).add(kind)
    return emitted


def plotly_scripts() -> dict[str, str]:
    """Template -> the plotly.js static path it loads, for every template."""
    scripts = {}
    for template in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        for static_path in PLOTLY_SCRIPT.findall(template.read_text()):
            scripts[template.name] = static_path
    return scripts


def test_every_page_that_draws_klips_loads_the_one_partial_bundle():
    scripts = plotly_scripts()

    assert sorted(scripts) == [
        "dashboard.html",
        "dashboard_detail.html",
        "dashboard_tv.html",
        "klip_form.html",
    ]
    assert set(scripts.values()) == {"vendor/plotly/plotly-klips-4.1.1.min.js"}
    assert finders.find("vendor/plotly/plotly-klips-4.1.1.min.js") is not None


def test_the_bundle_registers_exactly_the_trace_types_klips_emit(time_entries):
    (static_path,) = set(plotly_scripts().values())
    bundle = Path(finders.find(static_path)).read_text()
    registered = set(TRACE_MODULE.findall(bundle))

    emitted = emitted_trace_types(time_entries)

    missing = {t: kinds for t, kinds in emitted.items() if t not in registered}
    assert missing == {}, "add these to tools/plotly-bundle/entry.js and rebuild"
    # Nothing more: a trace no Klip draws (a WebGL one, say) is dead weight.
    assert registered == set(emitted)
    assert emitted == {
        "bar": {"bar"},
        "scatter": {"line", "area", "number", "scatter"},
        "pie": {"pie"},
        "indicator": {"gauge", "number"},
        "heatmap": {"heatmap"},
    }
