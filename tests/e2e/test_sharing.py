"""Sharing in a real browser: A shares a dashboard with B as viewer, B sees its
Klip but not the source behind it, A revokes, and B's next request is a 404.

Runs against Django's live_server (one process, the test database), with the
same Chromium and launch arguments as the journey test.
"""

import os

import pytest

from tests.authz.world import PASSWORD, build_world, isolated_storage  # noqa: F401
from tests.e2e.test_journey import CHROMIUM_ARGS, browser  # noqa: F401

pytestmark = [pytest.mark.browser]


@pytest.fixture(scope="module", autouse=True)
def _orm_beside_playwright():
    """Playwright's sync API runs an event loop in this thread, so Django takes
    the test's (plain, synchronous) ORM calls for async ones without this."""
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if before is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE")
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture
def world(transactional_db, isolated_storage):  # noqa: F811
    return build_world()


def _signed_in_page(browser, base_url: str, email: str):  # noqa: F811
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base_url}/dashboards/**")
    return page


def test_a_revoked_viewer_is_refused_on_the_next_request(browser, live_server, world):  # noqa: F811
    base = live_server.url
    dashboard, source = world.mine.dashboard, world.mine.source
    dashboard_url = f"{base}/dashboards/{dashboard.pk}/"
    a = _signed_in_page(browser, base, "owner@example.com")
    b = _signed_in_page(browser, base, "member@example.com")
    assert b.goto(dashboard_url).status == 404

    a.goto(dashboard_url)
    a.select_option(
        "#share-panel select[name=grantee]", label="member@example.com (editor)"
    )
    a.select_option("#share-panel select[name=level]", "view")
    a.click("#share-form button[type=submit]")
    a.locator("#shares tr[data-grantee='member@example.com']").wait_for()

    b.goto(f"{base}/dashboards/")
    b.locator("main").get_by_role("link", name="Hours", exact=True).click()
    card = b.locator("section.klip[data-state=ready]", has_text="Hours Klip")
    card.wait_for()
    bars = card.locator("[data-role=plot]").evaluate(
        "el => ({x: el.data[0].x, y: el.data[0].y})"
    )
    assert bars == {"x": ["Acme Corp", "Globex"], "y": [7.5, 7.75]}
    assert b.locator("main #share-panel").count() == 0
    assert b.locator("main a:has-text('Add Klip')").count() == 0
    assert b.goto(f"{base}/sources/{source.pk}/").status == 404
    assert b.goto(f"{base}/sources/{source.pk}/edit/").status == 404

    a.goto(dashboard_url)
    a.locator("#shares tr[data-grantee='member@example.com'] button").click()
    a.locator("main .messages", has_text="Share revoked.").wait_for()

    assert b.goto(dashboard_url).status == 404
    klip_data = f"{dashboard_url}klips/{world.mine.klip.pk}/data/"
    assert b.goto(klip_data).status == 404
