"""In Chromium: build a Klip in the editor, drag it on the grid, reload, and find
it where it was left; then see it redraw by itself after its source refreshes."""

import os

import pytest
from django.urls import reverse

from klips.models import Klip
from tests.e2e.test_journey import CHROMIUM, CHROMIUM_ARGS
from tests.klips.conftest import (
    ENTRIES,
    _isolated_storage_and_cache,  # noqa: F401
    make_source,
    write_version,
)
from tests.klips.helpers import make_dashboard

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(name="page")
def chromium_page():
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is not installed: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM
    # calls are still plain synchronous ones.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 1300, "height": 900})
        opened = context.new_page()
        opened.set_default_timeout(20_000)
        opened.errors = []
        opened.on("pageerror", lambda error: opened.errors.append(str(error)))
        yield opened
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def log_in(page, live_server, email: str) -> None:
    page.goto(live_server.url + reverse("account_login"))
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", "correct horse battery")
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")


def _build_in_editor(page, source) -> None:
    page.click("main >> text=Add Klip")
    page.fill("input[name=name]", "Hours by project")
    page.select_option("select[name=kind]", "bar")
    page.select_option("select[name=source]", str(source.pk))
    page.select_option("select[name=group_by]", "Project name")
    page.select_option("select[name=agg]", "sum")
    page.select_option("select[name=measure_column]", "Hours")
    page.wait_for_selector("#klip-preview[data-state=ready] .js-plotly-plot")
    page.click("main button:has-text('Save')")


def _drag(page, handle_selector: str, dx: float, dy: float) -> None:
    box = page.locator(handle_selector).bounding_box()
    x, y = box["x"] + 30, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(x + dx * step / 10, y + dy * step / 10)
    page.mouse.up()


def test_it_keeps_a_dragged_klip_where_it_was_left(live_server, page, workspace, owner):
    source = make_source(workspace, owner, ENTRIES)
    dashboard = make_dashboard(workspace, owner)
    detail = live_server.url + reverse("klips:dashboard_detail", args=[dashboard.pk])
    log_in(page, live_server, owner.email)
    page.goto(detail)

    _build_in_editor(page, source)
    page.wait_for_url(f"**/dashboards/{dashboard.pk}/")
    klip = Klip.objects.get(dashboard=dashboard)
    card = f".grid-stack-item[gs-id='{klip.pk}']"
    page.wait_for_selector(
        f"[data-klip-id='{klip.pk}'][data-state=ready] .js-plotly-plot"
    )
    grid_width = page.locator("#klip-grid").bounding_box()["width"]
    with page.expect_response(lambda r: r.url.endswith("/layout/")) as saved:
        _drag(page, f"{card} .klip-title", grid_width * 6.4 / 12, 2 * 90)
    assert saved.value.status == 200

    page.reload()
    page.wait_for_selector(
        f"[data-klip-id='{klip.pk}'][data-state=ready] .js-plotly-plot"
    )
    position = page.evaluate(
        "s => { const n = document.querySelector(s).gridstackNode;"
        " return [n.x, n.y, n.w, n.h]; }",
        card,
    )
    png_buttons = page.locator(f"{card} .modebar-btn[data-title*='png' i]").count()
    klip.refresh_from_db()
    assert png_buttons == 1
    assert (klip.x, klip.w, klip.h) == (6, 6, 4)
    # Gridstack floats a lone Klip back to the top row; the column is what moved.
    assert position == [klip.x, klip.y, 6, 4]
    assert page.errors == []


def test_it_redraws_a_klip_after_its_source_refreshes_without_a_reload(
    live_server, page, workspace, owner
):
    from tests.klips.helpers import make_klip

    source = make_source(workspace, owner, ENTRIES)
    dashboard = make_dashboard(workspace, owner)
    klip = make_klip(dashboard, source)
    ready = f"[data-klip-id='{klip.pk}'][data-state=ready] .js-plotly-plot"
    log_in(page, live_server, owner.email)
    page.goto(
        live_server.url
        + reverse("klips:dashboard_detail", args=[dashboard.pk])
        + "?poll=1"
    )
    page.wait_for_selector(ready)
    page.evaluate("() => { window.__sameDocument = true; }")

    newer = write_version(source, ENTRIES[:2])
    page.wait_for_selector(f"[data-klip-id='{klip.pk}'][data-version='{newer.pk}']")
    page.wait_for_selector(ready)

    bars = page.evaluate(
        "s => { const gd = document.querySelector(s); return [gd.data[0].x, gd.data[0].y]; }",
        ready,
    )
    assert bars == [["Apollo"], [4.0]]
    assert page.evaluate("() => window.__sameDocument") is True
    as_of = page.text_content(f"[data-klip-id='{klip.pk}'] [data-role=as-of]")
    assert as_of.startswith("Data as of ")
    assert page.errors == []


def test_tv_mode_cycles_one_klip_at_a_time(live_server, page, workspace, owner):
    from tests.klips.helpers import make_klip

    source = make_source(workspace, owner, ENTRIES)
    dashboard = make_dashboard(workspace, owner)
    klips = [make_klip(dashboard, source, name=f"Klip {n}") for n in range(3)]
    log_in(page, live_server, owner.email)

    page.goto(
        live_server.url
        + reverse("klips:dashboard_tv", args=[dashboard.pk])
        + "?cycle=3"
    )
    for klip in klips:
        page.wait_for_selector(
            f"[data-klip-id='{klip.pk}'][data-state=ready] .js-plotly-plot",
            state="attached",
        )
    visible = "() => [...document.querySelectorAll('.grid-stack-item')]" + (
        ".filter(e => getComputedStyle(e).display !== 'none')"
        ".map(e => e.getAttribute('gs-id'))"
    )
    first = page.evaluate(visible)
    page.wait_for_function(f"first => ({visible})()[0] !== first", arg=first[0])
    second = page.evaluate(visible)
    # A Klip drawn while hidden is resized to the screen once it is shown.
    page.wait_for_function(
        "() => document.querySelector('.tv-current .main-svg')"
        ".getBoundingClientRect().width > 1000"
    )

    assert page.locator("header.topbar").count() == 0
    assert len(first) == len(second) == 1
    assert first != second
    assert page.errors == []
