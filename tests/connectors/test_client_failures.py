"""Harvest failing: retries, throttling, typed errors at the edge."""

import pytest
import requests
import responses

from connectors.harvest.client import HarvestClient
from connectors.harvest.errors import (
    BadRequest,
    Forbidden,
    HarvestUnavailable,
    MalformedResponse,
    NotFound,
    TooLarge,
)
from tests.connectors.conftest import API, CANARY, ID, fixture_json

COMPANY = fixture_json("company.json")


def client_for(connection, limiter, sleeps) -> HarvestClient:
    return HarvestClient(connection, limiter=limiter, sleep=sleeps.append)


@responses.activate
def test_it_retries_a_server_error_with_backoff(connection, limiter, sleeps):
    responses.get(f"{API}/v2/company", status=503)
    responses.get(f"{API}/v2/company", status=502)
    responses.get(f"{API}/v2/company", json=COMPANY)

    company = client_for(connection, limiter, sleeps).company()

    assert company["name"] == COMPANY["name"]
    assert len(responses.calls) == 3
    assert len(sleeps) == 2
    assert sleeps[1] > sleeps[0] > 0


@responses.activate
def test_it_gives_up_after_four_attempts(connection, limiter, sleeps):
    responses.get(f"{API}/v2/company", status=500)

    with pytest.raises(HarvestUnavailable, match="after 4 attempts") as raised:
        client_for(connection, limiter, sleeps).company()

    assert len(responses.calls) == 4
    assert "HTTP 500" in raised.value.user_message


@responses.activate
def test_it_retries_a_dropped_connection(connection, limiter, sleeps):
    responses.get(f"{API}/v2/company", body=requests.ConnectionError("reset"))
    responses.get(f"{API}/v2/company", json=COMPANY)

    assert client_for(connection, limiter, sleeps).company()["name"] == COMPANY["name"]
    assert len(responses.calls) == 2


@responses.activate
def test_it_sleeps_exactly_retry_after_then_resends_the_same_url(
    connection, limiter, sleeps
):
    page2 = fixture_json("time_entries_page2.json")
    url = fixture_json("time_entries_page1.json")["links"]["next"]
    responses.get(url, status=429, headers={"Retry-After": "7"})
    responses.get(url, json=page2)

    pages = list(client_for(connection, limiter, sleeps).iter_pages(url))

    assert len(sleeps) == 1
    assert 6.5 < sleeps[0] <= 7
    assert [c.request.url for c in responses.calls] == [url, url]
    assert len(pages[0].records) == 2
    assert pages[0].requests == 2
    # Every worker now sees the token blocked for about Retry-After seconds.
    assert 5 < limiter.blocked_for(CANARY) <= 7


@responses.activate
def test_a_reports_429_without_retry_after_waits_the_window(
    connection, limiter, sleeps
):
    url = f"{API}/v2/reports/time/projects?from=20250301&to=20250313"
    responses.get(url.split("?")[0], status=429, body="Retry later")
    responses.get(url.split("?")[0], json=fixture_json("reports_time_projects.json"))

    client_for(connection, limiter, sleeps).get(url)

    assert len(sleeps) == 1
    assert 899 < sleeps[0] <= 900


@pytest.mark.parametrize(
    ("status", "error", "message"),
    [
        (403, Forbidden, "Your Harvest role cannot read /v2/projects."),
        (404, NotFound, "Harvest has no /v2/projects for this account."),
        (422, BadRequest, "Harvest refused /v2/projects: per_page is too big"),
    ],
)
@responses.activate
def test_client_errors_become_typed_errors(
    connection, limiter, sleeps, status, error, message
):
    responses.get(
        f"{API}/v2/projects", status=status, json={"message": "per_page is too big"}
    )

    with pytest.raises(error) as raised:
        client_for(connection, limiter, sleeps).get("/v2/projects")

    assert raised.value.user_message == message
    assert len(responses.calls) == 1


@responses.activate
def test_an_html_page_with_200_is_malformed(connection, limiter, sleeps):
    responses.get(
        f"{API}/v2/company",
        body="<!doctype html><h1>Maintenance</h1>",
        content_type="text/html",
    )

    with pytest.raises(MalformedResponse, match="web page instead of data"):
        client_for(connection, limiter, sleeps).company()


@responses.activate
def test_truncated_json_is_malformed(connection, limiter, sleeps):
    responses.get(f"{API}/v2/company", body='{"id": 8, "name": "Acme Des')

    with pytest.raises(MalformedResponse, match="not valid JSON") as raised:
        client_for(connection, limiter, sleeps).company()

    assert "/v2/company" in raised.value.user_message


@responses.activate
def test_an_accounts_answer_without_accounts_names_the_endpoint(
    connection, limiter, sleeps
):
    responses.get(f"{ID}/api/v2/accounts", json={"user": {"id": 1}, "accounts": None})

    with pytest.raises(MalformedResponse, match=r"accounts list.*accounts"):
        client_for(connection, limiter, sleeps).accounts()


@responses.activate
def test_a_users_me_without_an_id_is_malformed(connection, limiter, sleeps):
    responses.get(f"{API}/v2/users/me", json={"first_name": "Dana"})

    with pytest.raises(MalformedResponse, match=r"/v2/users/me.*id"):
        client_for(connection, limiter, sleeps).me()


@responses.activate
def test_a_list_without_links_envelope_is_malformed(connection, limiter, sleeps):
    responses.get(f"{API}/v2/clients", json={"clients": [{"id": 1}], "links": "x"})

    with pytest.raises(MalformedResponse, match="links"):
        list(client_for(connection, limiter, sleeps).iter_pages("/v2/clients"))


@responses.activate
def test_an_answer_over_the_size_cap_is_refused(connection, limiter, sleeps):
    responses.get(f"{API}/v2/company", json={"blob": "x" * 5000})
    client = client_for(connection, limiter, sleeps)
    client.max_response_bytes = 4096

    with pytest.raises(TooLarge, match="/v2/company"):
        client.company()
