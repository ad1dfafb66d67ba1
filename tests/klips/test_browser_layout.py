"""In Chromium: long names and words do not break the layout. A long source name
kept the Klip editor's pickers under the preview, the catalog's "Use" buttons
broke into "Us"/"e", and scrolling tables split e-mails and amounts mid-word."""

import pytest
from django.urls import reverse

from tests.e2e.test_dashboard_grid import chromium_page, log_in  # noqa: F401
from tests.klips.conftest import (
    ENTRIES,
    _isolated_storage_and_cache,  # noqa: F401
    entry,
    make_source,
)
from tests.klips.helpers import make_dashboard

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOSTILE_NAME = '"><img src=x onerror=alert(1)> ' + "Payments received " * 6


def test_the_editor_keeps_its_pickers_inside_the_form(
    live_server, page, workspace, owner
):
    make_source(workspace, owner, ENTRIES, name=HOSTILE_NAME)
    dashboard = make_dashboard(workspace, owner)
    log_in(page, live_server, owner.email)

    page.goto(
        live_server.url + reverse("klips:klip_create") + f"?dashboard={dashboard.pk}"
    )

    overflowing = page.evaluate(
        """() => {
          const form = document.querySelector('.klip-editor > form, .klip-editor form');
          const right = form.getBoundingClientRect().right;
          return [...form.querySelectorAll('select')]
            .filter(s => s.offsetParent && s.getBoundingClientRect().right > right + 0.5)
            .map(s => s.name);
        }"""
    )
    assert overflowing == []
    assert page.errors == []


def test_catalog_buttons_keep_their_word_whole(live_server, page, owner):
    log_in(page, live_server, owner.email)

    page.goto(live_server.url + reverse("datasources:service_detail", args=["harvest"]))

    # [height, the height of one line of its text plus its padding], per button.
    sizes = page.evaluate(
        """() => [...document.querySelectorAll('td a.button')].map(b => {
             const style = getComputedStyle(b);
             const one_line = parseFloat(style.lineHeight)
               + parseFloat(style.paddingTop) + parseFloat(style.paddingBottom);
             return [Math.round(b.getBoundingClientRect().height), Math.round(one_line)];
           })"""
    )
    assert len(sizes) == 46
    assert [height for height, _ in sizes] == [one_line for _, one_line in sizes]


def test_a_scrolling_table_keeps_emails_and_amounts_whole(
    live_server, page, workspace, owner
):
    records = [
        entry(
            "Apollo",
            17115.21,
            "2026-12-01",
            user="maya.okafor@example.com",
            # Many columns, as Harvest's invoices have: the cells get narrow.
            **{
                f"field_{number}": "Partial payment by transfer" for number in range(20)
            },
        )
        for _ in range(3)
    ]
    source = make_source(workspace, owner, records)
    log_in(page, live_server, owner.email)

    page.goto(live_server.url + reverse("datasources:source_detail", args=[source.pk]))

    lines = page.evaluate(
        """() => [...document.querySelectorAll('#stored-rows tbody tr:first-child td')]
             .filter(td => ['maya.okafor@example.com', '17115.21'].includes(td.textContent))
             .map(td => {
               const range = document.createRange();
               range.selectNodeContents(td);
               return [td.textContent, range.getClientRects().length];
             })"""
    )
    assert sorted(lines) == [["17115.21", 1], ["maya.okafor@example.com", 1]]
