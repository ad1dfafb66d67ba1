"""Hostile Harvest names render as text in every Klip type, in hover labels and
tables, and no dialog ever opens (Chromium)."""

from urllib.parse import urlencode

import pytest
from django.urls import reverse

from tests.e2e.test_dashboard_grid import chromium_page, log_in  # noqa: F401
from tests.klips.conftest import (
    _isolated_storage_and_cache,  # noqa: F401
    entry,
    make_source,
)
from tests.klips.helpers import make_dashboard, make_klip

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCRIPT = '<script>alert("script")</script>'
IMG = '"><img src=x onerror=alert("img")>'
JS_URL = 'javascript:alert("js")'
PAYLOADS = (SCRIPT, IMG, JS_URL)
# Plotly shortens long hover labels with "…"; these starts survive as text.
SHOWN = ("<script>alert(", '"><img src=x onerror', "javascript:alert(")

_HOURS = {"column": "Hours", "agg": "sum", "label": "Hours"}
SPECS = {
    "table": {"group_by": [{"column": "Project name"}], "measures": [_HOURS]},
    "bar": {
        "group_by": [{"column": "Project name"}],
        "measures": [{**_HOURS, "label": f"Hours {IMG}"}],
    },
    "line": {"group_by": [{"column": "Project name"}], "measures": [_HOURS]},
    "area": {"group_by": [{"column": "User name"}], "measures": [_HOURS]},
    "pie": {"group_by": [{"column": "Project name"}], "measures": [_HOURS]},
    "gauge": {"measures": [_HOURS]},
    "number": {
        "group_by": [{"column": "Spent date", "bucket": "day"}],
        "measures": [_HOURS],
    },
    "scatter": {
        "group_by": [{"column": "Project name"}],
        "measures": [_HOURS, {"agg": "count", "label": "Entries"}],
    },
    "heatmap": {
        "group_by": [{"column": "Project name"}, {"column": "User name"}],
        "measures": [_HOURS],
    },
}


def _records() -> list[dict]:
    return [
        entry(name, 1.0 + n, f"2026-12-0{n + 1}", user=PAYLOADS[(n + 1) % 3])
        for n, name in enumerate(PAYLOADS)
    ]


def _pie_hover_text(page, card: str) -> str:
    """Slices are wedges: hover inside each third of the pie, not at box centres."""
    import math

    page.locator(card).scroll_into_view_if_needed()
    box = page.locator(f"{card} .pielayer").bounding_box()
    middle_x, middle_y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    radius = min(box["width"], box["height"]) / 4
    texts = []
    for degrees in (30, 150, 270):
        angle = math.radians(degrees)
        page.mouse.move(
            middle_x + radius * math.cos(angle), middle_y + radius * math.sin(angle)
        )
        page.wait_for_timeout(150)
        texts.append(page.locator(f"{card} .hoverlayer").text_content() or "")
    return " ".join(texts)


def _hover_text(page, card: str) -> str:
    """Hover labels seen while the mouse sweeps across the plot area."""
    if page.locator(f"{card} .pielayer .slice").count():
        return _pie_hover_text(page, card)
    page.locator(card).scroll_into_view_if_needed()
    box = page.locator(f"{card} .nsewdrag").first.bounding_box()
    texts = []
    marks = page.locator(f"{card} g.points path.point, {card} g.point path")
    for index in range(min(marks.count(), 3)):
        mark = marks.nth(index).bounding_box()
        page.mouse.move(mark["x"] + mark["width"] / 2, mark["y"] + mark["height"] / 2)
        page.wait_for_timeout(60)
        texts.append(page.locator(f"{card} .hoverlayer").text_content() or "")
    for row in (0.25, 0.5, 0.75):
        for column in (0.1, 0.3, 0.5, 0.7, 0.9):
            page.mouse.move(
                box["x"] + box["width"] * column, box["y"] + box["height"] * row
            )
            page.wait_for_timeout(60)
            texts.append(page.locator(f"{card} .hoverlayer").text_content() or "")
    return " ".join(texts)


def test_hostile_names_stay_text_in_every_klip_type(
    live_server, page, workspace, owner
):
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    source = make_source(workspace, owner, _records(), name=f"Source {SCRIPT}")
    dashboard = make_dashboard(workspace, owner, name=f"Board {IMG}")
    klips = {
        kind: make_klip(dashboard, source, kind=kind, name=f"{kind} {SCRIPT}", **spec)
        for kind, spec in SPECS.items()
    }
    log_in(page, live_server, owner.email)

    detail = live_server.url + reverse("klips:dashboard_detail", args=[dashboard.pk])
    page.goto(detail + "?" + urlencode({"person": IMG, "client": SCRIPT}))
    filtered_person = page.input_value("main input[name=person]")
    page.goto(detail)
    for klip in klips.values():
        page.wait_for_selector(f"[data-klip-id='{klip.pk}'][data-state=ready]")
    hover = {
        kind: _hover_text(page, f"[data-klip-id='{klip.pk}']")
        for kind, klip in klips.items()
        if kind not in {"table", "gauge"}
    }
    titles = page.eval_on_selector_all(
        "main .klip-title", "els => els.map(e => e.textContent)"
    )
    cells = page.eval_on_selector_all(
        f"[data-klip-id='{klips['table'].pk}'] td", "els => els.map(e => e.textContent)"
    )
    injected = page.evaluate(
        "() => document.querySelectorAll("
        "'main img, main script, main iframe, a[href^=\"javascript\"]').length"
    )

    assert dialogs == []
    assert injected == 0
    assert filtered_person == IMG
    assert sorted(titles) == sorted(f"{kind} {SCRIPT}" for kind in SPECS)
    assert set(cells[0::2]) == set(PAYLOADS)
    for kind in ("bar", "line", "pie", "scatter", "heatmap"):
        assert any(p in hover[kind] for p in SHOWN), (kind, hover[kind])
    assert any(p in hover["area"] for p in SHOWN), hover["area"]
    assert page.errors == []
