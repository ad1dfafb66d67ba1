"""Attack payloads in every Harvest text field (the sandbox's hostile_names knob) and
in every name a user types: in Chromium no dialog ever opens and no element a
payload describes exists, on any page or Klip kind, hovering every chart."""

import os
from datetime import date

import pytest
from django.contrib.auth import get_user_model

from connectors.models import Connection
from datasources.models import DataSource, RefreshRun
from datasources.refresh import refresh_source
from klips.models import Dashboard, Klip
from sandbox.server import run_in_thread
from workspaces.models import Workspace

from .payloads import PAYLOADS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
EMAIL = "victim@example.com"
PASSWORD = "correct horse battery"
SANDBOX_TODAY = date(2026, 11, 20)
ACCOUNT_ID = 4411001
KINDS = [kind for kind, _label in Klip.Kind.choices]
# Anything a payload would add to the page: handlers, script-ish elements, links.
INJECTED = """() => {
  const found = [];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      if (attr.name.startsWith('on')) found.push(el.tagName + ' ' + attr.name);
      const value = attr.value.replace(/\\s/g, '').toLowerCase();
      if (['href', 'src', 'action', 'data', 'xlink:href', 'formaction'].includes(
        attr.name) && value.startsWith('javascript:')) {
        found.push(el.tagName + ' ' + attr.name + '=' + attr.value);
      }
    }
  }
  const risky = 'img[src="x"], img[srcset], iframe, object, embed, base, '
    + 'meta[http-equiv], marquee, video, audio, x, math, mglyph';
  for (const el of document.querySelectorAll(risky)) found.push(el.outerHTML);
  for (const el of document.querySelectorAll('script:not([src])')) {
    if (el.type !== 'application/json') found.push(el.outerHTML.slice(0, 80));
  }
  return found;
}"""


def _payload(number: int) -> str:
    return PAYLOADS[number % len(PAYLOADS)]


@pytest.fixture
def browser(monkeypatch):
    # Playwright's sync API keeps an event loop on this thread; the ORM calls
    # made here between page visits are still plain synchronous code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is not installed: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def hostile_sandbox(settings):
    with run_in_thread(
        seed=42,
        entries=400,
        today=SANDBOX_TODAY,
        general_limit=5000,
        reports_limit=5000,
        hostile_names=PAYLOADS,
    ) as running:
        settings.HARVEST_API_BASE = running.api_base
        settings.HARVEST_ID_BASE = running.id_base
        yield running


def _refreshed_source(victim, workspace, connection, query_url, number) -> DataSource:
    source = DataSource.objects.create(
        workspace=workspace,
        owner=victim,
        connection=connection,
        name=_payload(number),
        account_id=ACCOUNT_ID,
        query_url=query_url,
    )
    run = RefreshRun.objects.create(source=source, trigger="manual")
    refresh_source(run.pk)
    source.refresh_from_db()
    assert source.current_version is not None, source.last_error
    # Every column a user may rename gets a payload for a label.
    source.columns = [
        {**column, "name": f"{_payload(number + n)} {n}"}
        for n, column in enumerate(source.columns)
    ]
    source.save(update_fields=["columns"])
    return source


def _label(source: DataSource, path: str) -> str:
    return next(c["name"] for c in source.columns if c["path"] == path)


def _dashboard_of_every_kind(victim, workspace, source) -> Dashboard:
    dashboard = Dashboard.objects.create(
        workspace=workspace, owner=victim, name=_payload(20)
    )
    project = _label(source, "project.name")
    user = _label(source, "user.name")
    hours = _label(source, "hours")
    for number, kind in enumerate(KINDS):
        group_by = [{"column": project}]
        if kind in ("heatmap", "bar", "line", "area"):
            group_by.append({"column": user})
        spec = {
            "sources": [source.pk],
            "group_by": [] if kind in ("number", "gauge") else group_by,
            "measures": [{"column": hours, "agg": "sum", "label": _payload(number)}],
            "target": 10,
            "target_label": _payload(number + 1)[:100],
        }
        if kind == "table":
            spec = {"sources": [source.pk], "columns": [project, user, hours]}
        klip = Klip.objects.create(
            dashboard=dashboard,
            name=_payload(30 + number),
            kind=kind,
            spec=spec,
            x=0,
            y=number * 4,
        )
        klip.sources.set([source])
    return dashboard


def _visit(page, url: str, dialogs: list, expect_klips: int = 0) -> list[str]:
    response = page.goto(url)
    assert response.status < 500, (url, response.status)
    if expect_klips:
        # Every Klip drawn: data-state=ready (not loading, error or empty).
        ready = page.locator("section.klip[data-state=ready]")
        ready.nth(expect_klips - 1).wait_for(timeout=60_000)
        for index in range(ready.count()):
            _hover_everything(page, ready.nth(index))
    page.wait_for_timeout(300)
    return page.evaluate(INJECTED)


def _hover_everything(page, klip) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    klip.scroll_into_view_if_needed()
    marks = klip.locator(
        ".point, .bars path, .slice, .scatterlayer path, .heatmaplayer image, "
        "td, th, .number, .nsewdrag"
    )
    for index in range(min(marks.count(), 25)):
        try:
            marks.nth(index).hover(timeout=2_000, force=True)
        except PlaywrightTimeout:  # a mark hidden behind another one
            continue


@pytest.mark.django_db(transaction=True)
def test_no_payload_runs_or_lands_in_any_page(live_server, browser, hostile_sandbox):
    victim = get_user_model().objects.create_user(
        username=EMAIL, email=EMAIL, password=PASSWORD
    )
    workspace = Workspace.objects.get(membership__user=victim)
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/dashboards/**")
    # Connect through the form: the name comes from Harvest's (hostile) user.
    page.goto(f"{live_server.url}/connections/harvest/token/")
    page.fill("input[name=token]", "sandbox-demo-pat")
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/connections/*/")
    connection = Connection.objects.get(owner=victim)
    assert any(p.split("<")[0] in connection.name for p in PAYLOADS if p[0] != "<")

    entries = _refreshed_source(
        victim,
        workspace,
        connection,
        "/v2/time_entries?from=2026-11-01&to=2026-11-30",
        0,
    )
    projects = _refreshed_source(
        victim,
        workspace,
        connection,
        "/v2/reports/time/projects?from=20260101&to=20261120",
        5,
    )
    dashboard = _dashboard_of_every_kind(victim, workspace, entries)

    found = {}
    pages = [
        ("/dashboards/", 0),
        (f"/dashboards/{dashboard.pk}/", len(KINDS)),
        (f"/dashboards/{dashboard.pk}/tv/", len(KINDS)),
        ("/sources/", 0),
        (f"/sources/{entries.pk}/", 0),
        (f"/sources/{entries.pk}/edit/", 0),
        (f"/sources/{projects.pk}/", 0),
        ("/sources/catalog/", 0),
        ("/connections/", 0),
        (f"/connections/{connection.pk}/", 0),
        (f"/connections/{connection.pk}/accounts/", 0),
        ("/workspaces/members/", 0),
    ]
    pages += [
        (f"/dashboards/{dashboard.pk}/klips/{klip.pk}/edit/", 0)
        for klip in dashboard.klips.all()
    ]
    for path, klips in pages:
        injected = _visit(page, live_server.url + path, dialogs, klips)
        if injected:
            found[path] = injected

    # The payloads reached the pages as text: shown, not dropped.
    page.goto(f"{live_server.url}/dashboards/{dashboard.pk}/")
    shown = page.inner_text("main")
    for klip in dashboard.klips.filter(name__startswith="<"):
        assert klip.name in shown
    # The detector itself sees an element a payload would add.
    page.evaluate(
        "html => document.body.insertAdjacentHTML('beforeend', html)", PAYLOADS[1]
    )
    assert page.evaluate(INJECTED) != []
    context.close()

    assert dialogs == []
    assert found == {}
    assert [e for e in errors if "alert" in e or "xss" in e.lower()] == []
    # The payloads reached the pages as text: they were shown, not dropped.
    assert Klip.objects.filter(dashboard=dashboard).count() == len(KINDS) == 9
