"""In a real browser: the source page shows a running refresh's pages and rows
as they arrive (static/js/datasources.js polling run_progress)."""

import json
import os
import re
import time
import urllib.request

import pytest

from tests.e2e.stack import Stack

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
ENTRIES = 30_000  # 15 pages
CREATE_SOURCE = """
from django.contrib.auth import get_user_model
from connectors.models import Connection
from datasources.models import DataSource
from workspaces.models import Workspace
user = get_user_model().objects.get(email="demo@harvestdash.local")
workspace = Workspace.objects.get(membership__user=user)
connection = Connection.objects.create(
    workspace=workspace, owner=user, name="Sandbox@Harvest", auth_kind="pat",
    access_token="sandbox-demo-pat",
    accounts=[{"id": 4411001, "name": "Sandbox", "product": "harvest"}],
)
source = DataSource.objects.create(
    workspace=workspace, owner=user, connection=connection, name="All time",
    account_id=4411001, query_url="/v2/time_entries", refresh_minutes=None,
)
print(source.pk)
"""
PROGRESS_CELLS = """() => {
  const row = document.querySelector("#runs tbody tr");
  const cell = (name) => row.querySelector(`[data-field="${name}"]`).textContent;
  return [cell("status").trim(), cell("pages").trim(), cell("rows").trim()];
}"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    running = Stack(
        data_dir=tmp_path_factory.mktemp("progress"), sandbox_entries=ENTRIES
    ).start()
    yield running
    running.stop()


@pytest.fixture
def page(stack):
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is not installed: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page()
        page.set_default_timeout(30_000)
        yield page
        browser.close()


def _slow_sandbox(stack: Stack, delay: float) -> None:
    request = urllib.request.Request(
        f"{stack.sandbox_url}/_sandbox/knobs",
        data=json.dumps({"delay": delay}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=10).read()


def test_the_source_page_shows_pages_and_rows_while_a_refresh_runs(stack, page):
    source_id = int(stack.manage("shell", "-c", CREATE_SOURCE).splitlines()[-1])
    _slow_sandbox(stack, 0.4)
    page.goto(f"{stack.url}/accounts/login/")
    page.fill("input[name=login]", "demo@harvestdash.local")
    page.fill("input[name=password]", "harvest-demo")
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{stack.url}/dashboards/**")
    page.goto(f"{stack.url}/sources/{source_id}/")

    page.click("button:has-text('Refresh now')")
    page.wait_for_selector("#runs tbody tr[data-progress-url]")
    seen = []
    deadline = time.monotonic() + 120
    while not (seen and seen[-1][0].lower() == "succeeded"):
        assert time.monotonic() < deadline, seen
        try:
            cells = page.evaluate(PROGRESS_CELLS)
        except Exception:  # the page reloads itself when the run ends
            page.wait_for_load_state()
            continue
        if not seen or cells != seen[-1]:
            seen.append(cells)
        time.sleep(0.2)

    running = [c for c in seen if c[0] == "running" and c[1] != "0"]
    assert len(running) >= 2, seen
    for _status, pages, rows in running:
        done, total = map(int, re.fullmatch(r"(\d+) / (\d+)", pages).groups())
        assert (total, int(rows)) == (15, done * 2000)
    page.wait_for_selector("#runs tbody tr:first-child .badge.succeeded")
    assert "30000" in page.inner_text("dl.facts")
