"""The dashboard in a real browser: cards fetch their payloads and Plotly draws."""

import os

import pytest
from django.urls import reverse

from tests.klips.conftest import make_source
from tests.klips.helpers import make_dashboard, make_klip

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
XSS_NAME = '<img src=x onerror="window.__pwned=1">'


@pytest.fixture
def browser_page():
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's Chromium is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; the ORM calls made
    # by the test itself are still plain synchronous ones.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox"]
        )
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.errors = errors
        yield page
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def _log_in(page, live_server, email):
    page.goto(live_server.url + reverse("account_login"))
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", "correct horse battery")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_it_draws_hours_by_project_bars(live_server, browser_page, workspace, owner):
    source = make_source(
        workspace,
        owner,
        [
            {"project": {"name": "Apollo"}, "hours": 2.5},
            {"project": {"name": "Apollo"}, "hours": 1.5},
            {"project": {"name": XSS_NAME}, "hours": 1.0},
            {"project": {"name": "Borealis"}, "hours": 3.0},
        ],
    )
    dashboard = make_dashboard(workspace, owner)
    bars_klip = make_klip(dashboard, source)
    table_klip = make_klip(dashboard, source, kind="table", name="Table")

    _log_in(browser_page, live_server, owner.email)
    browser_page.goto(
        live_server.url + reverse("klips:dashboard_detail", args=[dashboard.pk])
    )
    ready = f"[data-klip-id='{bars_klip.pk}'][data-state=ready] .js-plotly-plot"
    browser_page.wait_for_selector(ready, timeout=15000)
    browser_page.wait_for_selector(
        f"[data-klip-id='{table_klip.pk}'][data-state=ready]"
    )

    bars = browser_page.evaluate(
        "selector => { const gd = document.querySelector(selector);"
        " return {x: gd.data[0].x, y: gd.data[0].y}; }",
        ready,
    )
    ticks = browser_page.eval_on_selector_all(
        f"[data-klip-id='{bars_klip.pk}'] .xtick text",
        "els => els.map(e => e.textContent)",
    )
    cells = browser_page.eval_on_selector_all(
        f"[data-klip-id='{table_klip.pk}'] td", "els => els.map(e => e.textContent)"
    )
    assert bars == {
        "x": ['&lt;img src=x onerror="window.__pwned=1"&gt;', "Apollo", "Borealis"],
        "y": [1.0, 4.0, 3.0],
    }
    assert ticks[0] == XSS_NAME[:27] + "…"
    assert cells[:2] == [XSS_NAME, "1.00 h"]
    assert browser_page.evaluate("window.__pwned") is None
    assert browser_page.errors == []


def test_it_builds_a_klip_in_the_editor_with_a_live_preview(
    live_server, browser_page, workspace, owner
):
    from klips.models import Klip
    from tests.klips.conftest import ENTRIES

    source = make_source(workspace, owner, ENTRIES)
    dashboard = make_dashboard(workspace, owner)
    page = browser_page

    _log_in(page, live_server, owner.email)
    page.goto(live_server.url + reverse("klips:dashboard_detail", args=[dashboard.pk]))
    page.click("text=Add Klip")
    page.fill("input[name=name]", "Hours by project")
    page.select_option("select[name=kind]", "bar")
    page.select_option("select[name=source]", str(source.pk))
    page.select_option("select[name=group_by]", "Project name")
    page.select_option("select[name=agg]", "sum")
    page.select_option("select[name=measure_column]", "Hours")
    page.wait_for_selector("#klip-preview[data-state=ready] .js-plotly-plot")
    preview = page.evaluate(
        "() => document.querySelector('#klip-preview .js-plotly-plot').data[0].y"
    )
    page.click("button:has-text('Save')")
    page.wait_for_url(f"**/dashboards/{dashboard.pk}/")

    klip = Klip.objects.get(dashboard=dashboard)
    card = f"[data-klip-id='{klip.pk}'][data-state=ready] .js-plotly-plot"
    page.wait_for_selector(card)
    bars = page.evaluate(
        "s => { const gd = document.querySelector(s); return [gd.data[0].x, gd.data[0].y]; }",
        card,
    )
    assert preview == [10.0, 7.0, 0.5]
    assert bars == [["Apollo", "Borealis", "Cygnus"], [10.0, 7.0, 0.5]]
    assert page.errors == []


def test_it_narrows_pickers_and_previews_a_formula_of_hidden_measures(
    live_server, browser_page, workspace, owner
):
    from tests.klips.conftest import ENTRIES

    source = make_source(workspace, owner, ENTRIES)
    dashboard = make_dashboard(workspace, owner)
    page = browser_page

    _log_in(page, live_server, owner.email)
    page.goto(
        live_server.url + reverse("klips:klip_create") + f"?dashboard={dashboard.pk}"
    )
    page.select_option("select[name=source]", str(source.pk))
    page.select_option("select[name=group_by]", "Project name")
    page.select_option("select[name=agg]", "sum")
    summable = page.eval_on_selector_all(
        "select[name=measure_column] option", "els => els.map(e => e.value)"
    )
    bucket_disabled = page.eval_on_selector("select[name=bucket]", "e => e.disabled")
    page.select_option("select[name=measure_column]", "Hours")
    page.fill("input[name=measure_label]", "Hours")
    page.check("input[name=measure_hidden]")
    page.select_option("select[name=agg_2]", "count")
    page.check("input[name=measure_hidden_2]")
    page.fill("input[name=formula_label_1]", "Hours per entry")
    page.select_option("select[name=formula_left_1]", "1")
    page.select_option("select[name=formula_op_1]", "ratio")
    page.select_option("select[name=formula_right_1]", "2")
    left_label = page.eval_on_selector(
        "select[name=formula_left_1] option[value='1']", "e => e.textContent"
    )
    page.wait_for_function(
        "() => { const gd = document.querySelector('#klip-preview .js-plotly-plot');"
        " return gd && gd.data && gd.data[0].name === 'Hours per entry'; }"
    )
    preview = page.evaluate(
        "() => { const gd = document.querySelector('#klip-preview .js-plotly-plot');"
        " return {names: gd.data.map(t => t.name), y: gd.data[0].y,"
        " height: gd.getBoundingClientRect().height}; }"
    )

    assert summable == ["", "Id", "Hours", "Project id", "User id"]
    assert bucket_disabled is True
    assert left_label == "Measure 1: Hours"
    assert preview["names"] == ["Hours per entry"]
    assert preview["y"] == [10.0 / 3, 3.5, 0.5]
    assert preview["height"] >= 360, preview["height"]
    assert page.errors == []


def test_saving_an_edit_unchanged_keeps_the_listing_order(
    live_server, browser_page, workspace, owner
):
    from klips.models import Klip
    from tests.klips.conftest import ENTRIES

    source = make_source(workspace, owner, ENTRIES)
    dashboard = make_dashboard(workspace, owner)
    klip = make_klip(
        dashboard,
        source,
        kind="table",
        name="Listing",
        columns=["User name", "Hours", "Project name"],
        sort=[{"by": "Hours", "direction": "desc"}],
    )
    page = browser_page

    _log_in(page, live_server, owner.email)
    page.goto(
        live_server.url + reverse("klips:klip_edit", args=[dashboard.pk, klip.pk])
    )
    page.wait_for_selector("#klip-preview[data-state=ready] td")
    first_row = page.eval_on_selector_all(
        "#klip-preview tbody tr:first-child td", "els => els.map(e => e.textContent)"
    )
    page.click("button:has-text('Save')")
    page.wait_for_url(f"**/dashboards/{dashboard.pk}/")

    saved = Klip.objects.get(pk=klip.pk).spec
    assert first_row == ["Ada", "6.00 h", "Apollo"]
    assert saved["columns"] == ["User name", "Hours", "Project name"]
    assert saved["sort"] == [{"by": "Hours", "direction": "desc"}]
    assert page.errors == []


def test_a_date_calculation_joins_the_pickers_and_the_preview(
    live_server, browser_page, workspace, owner
):
    from tests.klips.test_date_calcs import PROJECTS

    source = make_source(workspace, owner, PROJECTS, name="Projects (active)")
    dashboard = make_dashboard(workspace, owner)
    page = browser_page

    _log_in(page, live_server, owner.email)
    page.goto(
        live_server.url + reverse("klips:klip_create") + f"?dashboard={dashboard.pk}"
    )
    page.select_option("select[name=kind]", "table")
    page.select_option("select[name=source]", str(source.pk))
    page.click("text=Days since, until or between dates")
    dates = page.eval_on_selector_all(
        "select[name=calc_start_1] option", "els => els.map(e => e.value)"
    )
    page.fill("input[name=calc_label_1]", "Length")
    page.select_option("select[name=calc_op_1]", "days_between")
    page.select_option("select[name=calc_start_1]", "Starts on")
    page.select_option("select[name=calc_end_1]", "Ends on")
    page.select_option("select[name=group_by]", "Name")
    page.select_option("select[name=agg]", "max")
    page.select_option("select[name=measure_column]", "Length")
    page.wait_for_function(
        "() => document.querySelectorAll('#klip-preview tbody tr').length === 4"
    )
    cells = page.eval_on_selector_all(
        "#klip-preview tbody td", "els => els.map(e => e.textContent)"
    )

    assert dates == ["", "Starts on", "Ends on"]
    assert cells == [
        "Apollo",
        "30",
        "Borealis",
        "30",
        "Cygnus",
        "31",
        "Dorado",
        "",
    ]
    assert page.errors == []
