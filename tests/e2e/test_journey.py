"""The whole path in a real browser, against real processes.

Sign in, connect Harvest through the sandbox's OAuth consent page, create
"Time entries (this month)" with the wizard, let the Celery worker refresh it,
add an "Hours by project" bar Klip, and check its bars against sums computed
straight from the sandbox's seeded data.
"""

import os
import re
import time
from collections import defaultdict
from datetime import date
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from sandbox.data import Dataset

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


@pytest.fixture(scope="module")
def browser():
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
def page(browser, request, tmp_path_factory):
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    if getattr(request.node, "failed_call", False):
        # Leave a picture of where it stopped, for whoever reads the failure.
        shot = tmp_path_factory.getbasetemp() / f"{request.node.name}.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"failed at {page.url}; screenshot {shot}")
    context.close()


def _sign_in(page, base_url: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=login]", "demo@harvestdash.local")
    page.fill("input[name=password]", "harvest-demo")
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base_url}/dashboards/**")


def _connect_harvest(page, base_url: str) -> str:
    page.goto(f"{base_url}/connections/")
    page.click("text=Connect Harvest")
    page.wait_for_selector("button[value=approve]")
    page.click("button[value=approve]")
    page.wait_for_url(f"{base_url}/connections/**")
    return page.inner_text(".messages")


def _create_this_months_source(page, base_url: str) -> str:
    """Run the wizard; returns the request URL the preview said it would send."""
    page.goto(f"{base_url}/sources/catalog/")
    page.click(".service-card:has-text('Harvest')")
    row = page.locator("tr", has_text="Time entries (this month)")
    row.get_by_role("link", name="Use").click()

    page.click("text=Use this connection")
    page.select_option("select[name=account]", index=0)
    page.click("main form button[type=submit]")

    sent_url = page.inner_text("#resolved-url")
    assert page.locator("table.data tbody tr").count() > 0, "preview shows no rows"
    page.click("a.button:has-text('Continue')")

    page.fill("input[name=name]", "Time entries (this month)")
    page.select_option("select[name=schedule]", "60")
    page.click("main form button[type=submit]:has-text('Save')")
    page.wait_for_url(re.compile(rf"{re.escape(base_url)}/sources/\d+/"))
    return sent_url


def _wait_for_refresh(page, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while "Succeeded" not in page.inner_text("body").title():
        if time.monotonic() > deadline:
            raise AssertionError("the worker did not finish the refresh in time")
        time.sleep(1)
        page.reload()


def _add_hours_by_project(page, base_url: str) -> dict:
    page.goto(f"{base_url}/dashboards/")
    page.get_by_role("link", name="My dashboard", exact=True).click()
    page.click("text=Add Klip")
    page.fill("input[name=name]", "Hours by project")
    page.select_option("select[name=kind]", "bar")
    page.select_option("select[name=source]", label="Time entries (this month)")
    page.select_option("select[name=group_by]", "Project name")
    page.select_option("select[name=agg]", "sum")
    page.select_option("select[name=measure_column]", "Hours")
    page.click("form#klip-form button[type=submit]")

    card = page.locator("section.klip[data-state=ready]", has_text="Hours by project")
    card.wait_for()
    plot = card.locator("[data-role=plot]")
    return plot.evaluate("el => ({x: el.data[0].x, y: el.data[0].y})")


def _expected_hours_by_project(sent_url: str) -> dict[str, Decimal]:
    query = parse_qs(urlsplit(sent_url).query)
    dataset = Dataset(seed=42, entries=3000)
    sums: dict[str, Decimal] = defaultdict(Decimal)
    first_day = date.fromisoformat(query["from"][0])
    last_day = date.fromisoformat(query["to"][0])
    for entry in dataset.time_entries(from_=first_day, to=last_day):
        sums[entry["project"]["name"]] += Decimal(str(entry["hours"]))
    return dict(sums)


def test_it_goes_from_sign_in_to_a_klip_of_hours_by_project(stack, page):
    _sign_in(page, stack.url)

    connected = _connect_harvest(page, stack.url)
    assert re.search(r"@Harvest \d{4}-\d{2}-\d{2} \d{2}:\d{2}", connected)

    sent_url = _create_this_months_source(page, stack.url)
    _wait_for_refresh(page)
    bars = _add_hours_by_project(page, stack.url)

    expected = _expected_hours_by_project(sent_url)
    drawn = {
        name: Decimal(str(hours)).quantize(Decimal("0.01"))
        for name, hours in zip(bars["x"], bars["y"], strict=True)
    }
    assert drawn == {
        name: hours.quantize(Decimal("0.01")) for name, hours in expected.items()
    }
    # Early in a month there may be few projects, but never no time at all.
    assert drawn and sum(drawn.values()) > 0
