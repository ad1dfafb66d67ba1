"""Pagination: follow links.next to the end, page- and cursor-based alike."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from connectors.harvest.client import HarvestClient
from connectors.harvest.errors import MalformedResponse
from tests.connectors.conftest import API, fixture_json

CLIENTS_PAGES = [fixture_json(f"clients_cursor_page{n}.json") for n in (1, 2, 3)]
ENTRIES_PAGES = [fixture_json(f"time_entries_page{n}.json") for n in (1, 2)]


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


@responses.activate
def test_it_follows_cursor_links_to_the_last_page(connection, limiter):
    first = f"{API}/v2/clients?is_active=true&per_page=1"
    responses.get(first, json=CLIENTS_PAGES[0])
    responses.get(CLIENTS_PAGES[0]["links"]["next"], json=CLIENTS_PAGES[1])
    responses.get(CLIENTS_PAGES[1]["links"]["next"], json=CLIENTS_PAGES[2])

    pages = list(
        HarvestClient(connection, limiter=limiter).iter_pages(
            "/v2/clients?is_active=true&per_page=1"
        )
    )

    expected_ids = [c["id"] for page in CLIENTS_PAGES for c in page["clients"]]
    assert [r["id"] for p in pages for r in p.records] == expected_ids
    assert [p.number for p in pages] == [1, 2, 3]
    assert {p.resource_key for p in pages} == {"clients"}
    assert pages[0].total_entries == 3
    # The middle cursor page has page/next_page null: only links.next says more.
    assert CLIENTS_PAGES[1]["next_page"] is None
    assert len(responses.calls) == 3


@responses.activate
def test_it_follows_page_links_and_asks_for_2000_per_page(connection, limiter):
    responses.get(f"{API}/v2/time_entries", json=ENTRIES_PAGES[0])
    responses.get(ENTRIES_PAGES[0]["links"]["next"], json=ENTRIES_PAGES[1])

    pages = list(
        HarvestClient(connection, limiter=limiter).iter_pages(
            "/v2/time_entries?from=2025-03-01&to=2025-03-31"
        )
    )

    assert [len(p.records) for p in pages] == [3, 2]
    assert query_of(responses.calls[0].request.url)["per_page"] == ["2000"]
    assert query_of(responses.calls[0].request.url)["from"] == ["2025-03-01"]
    assert pages[0].byte_size == len(json.dumps(ENTRIES_PAGES[0]).encode())
    assert pages[1].url == ENTRIES_PAGES[0]["links"]["next"]


@responses.activate
def test_it_keeps_a_smaller_per_page_and_clamps_a_larger_one(connection, limiter):
    responses.get(f"{API}/v2/invoices", json=fixture_json("invoices.json"))
    client = HarvestClient(connection, limiter=limiter)

    list(client.iter_pages("/v2/invoices?per_page=50"))
    list(client.iter_pages("/v2/invoices?per_page=5000"))

    assert query_of(responses.calls[0].request.url)["per_page"] == ["50"]
    assert query_of(responses.calls[1].request.url)["per_page"] == ["2000"]


@responses.activate
def test_it_stops_when_a_next_link_repeats(connection, limiter):
    second_url = CLIENTS_PAGES[0]["links"]["next"]
    looping = dict(CLIENTS_PAGES[1], links={"next": second_url})
    responses.get(f"{API}/v2/clients", json=CLIENTS_PAGES[0])
    responses.get(second_url, json=looping)

    pages = HarvestClient(connection, limiter=limiter).iter_pages("/v2/clients")
    numbers = [next(pages).number, next(pages).number]
    with pytest.raises(MalformedResponse, match="same next-page link"):
        next(pages)

    assert numbers == [1, 2]
    assert len(responses.calls) == 2


@responses.activate
def test_it_streams_pages_one_request_at_a_time(connection, limiter):
    responses.get(f"{API}/v2/time_entries", json=ENTRIES_PAGES[0])
    responses.get(ENTRIES_PAGES[0]["links"]["next"], json=ENTRIES_PAGES[1])

    pages = HarvestClient(connection, limiter=limiter).iter_pages("/v2/time_entries")
    next(pages)

    assert len(responses.calls) == 1


@responses.activate
def test_an_object_endpoint_is_one_page_with_one_record(connection, limiter):
    company = fixture_json("company.json")
    responses.get(f"{API}/v2/company", json=company)

    pages = list(HarvestClient(connection, limiter=limiter).iter_pages("/v2/company"))

    assert len(pages) == 1
    assert pages[0].records == [company]
    assert pages[0].resource_key is None
    assert "per_page" not in responses.calls[0].request.url
