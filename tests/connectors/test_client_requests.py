"""Every request: identity headers, a timeout, the origin allow-list."""

import pytest
import responses
from django.conf import settings

from connectors.harvest.client import HarvestClient
from connectors.harvest.errors import DisallowedURL, MalformedResponse
from connectors.models import Connection
from tests.connectors.conftest import API, CANARY, ID, fixture_json

USERS_ME = fixture_json("users_me.json")


@responses.activate
def test_it_sends_token_account_and_user_agent_to_the_api(connection, limiter):
    responses.get(f"{API}/v2/users/me", json=USERS_ME)

    me = HarvestClient(connection, account_id=1122999, limiter=limiter).me()

    request = responses.calls[0].request
    assert me["email"] == "dana.reyes@example.com"
    assert request.headers["Authorization"] == f"Bearer {CANARY}"
    assert request.headers["Harvest-Account-Id"] == "1122999"
    assert request.headers["User-Agent"] == "HarvestDash (ops@example.com)"
    assert request.req_kwargs["timeout"] == settings.HARVEST_TIMEOUT_SECONDS


@responses.activate
def test_it_picks_the_first_harvest_account_not_forecast(connection, limiter):
    responses.get(f"{API}/v2/company", json=fixture_json("company.json"))

    HarvestClient(connection, limiter=limiter).company()

    assert responses.calls[0].request.headers["Harvest-Account-Id"] == "1122334"


@responses.activate
def test_the_id_side_gets_no_account_header(connection, limiter):
    responses.get(f"{ID}/api/v2/accounts", json=fixture_json("accounts.json"))

    accounts = HarvestClient(connection, limiter=limiter).accounts()

    assert [a["product"] for a in accounts] == ["forecast", "harvest", "harvest"]
    assert "Harvest-Account-Id" not in responses.calls[0].request.headers
    assert responses.calls[0].request.headers["Authorization"] == f"Bearer {CANARY}"


@responses.activate
def test_it_marks_the_connection_used(connection, limiter):
    responses.get(f"{API}/v2/company", json=fixture_json("company.json"))

    HarvestClient(connection, limiter=limiter).company()

    connection.refresh_from_db()
    assert connection.last_used_at is not None


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/v2/clients",
        "https://api.harvestapp.com.evil.example/v2/clients",
        "https://api.harvestapp.com@evil.example/v2/clients",
        "http://api.harvestapp.com/v2/clients",
        "https://api.harvestapp.com:8443/v2/clients",
        "https://api.harvestapp.com/v2/../../evil",
        "https://api.harvestapp.com/v2/%2e%2e/evil",
        "https://api.harvestapp.com\\@evil.example/v2/clients",
        "https://api.harvestapp.com./v2/clients",
    ],
)
@responses.activate
def test_it_never_sends_the_token_elsewhere(connection, limiter, url):
    with pytest.raises(DisallowedURL):
        HarvestClient(connection, limiter=limiter).get(url)

    assert len(responses.calls) == 0


@responses.activate
def test_it_refuses_a_next_link_to_another_host(connection, limiter):
    page = fixture_json("clients_cursor_page1.json")
    page["links"]["next"] = "https://evil.example/v2/clients?cursor=abc"
    responses.get(f"{API}/v2/clients", json=page)
    responses.get("https://evil.example/v2/clients", json=page)

    pages = HarvestClient(connection, limiter=limiter).iter_pages("/v2/clients")
    next(pages)
    with pytest.raises(DisallowedURL):
        next(pages)

    assert [c.request.url.split("?")[0] for c in responses.calls] == [
        f"{API}/v2/clients"
    ]


@responses.activate
def test_it_never_follows_a_redirect(connection, limiter):
    responses.get(
        f"{API}/v2/clients",
        status=302,
        headers={"Location": "https://evil.example/steal"},
    )
    responses.get("https://evil.example/steal", json={})

    with pytest.raises(MalformedResponse, match="redirect"):
        HarvestClient(connection, limiter=limiter).get("/v2/clients")

    assert len(responses.calls) == 1


@responses.activate
def test_a_sandbox_base_with_a_path_prefix_is_honoured(connection, limiter, settings):
    settings.HARVEST_API_BASE = "http://127.0.0.1:8010/api"
    responses.get("http://127.0.0.1:8010/api/v2/company", json={"id": 1})

    assert HarvestClient(connection, limiter=limiter).company() == {"id": 1}
    with pytest.raises(DisallowedURL):
        HarvestClient(connection, limiter=limiter).get("http://127.0.0.1:8010/v2/x")


def test_an_unsaved_connection_without_accounts_cannot_call_the_api(limiter):
    from connectors.harvest.errors import BadRequest

    bare = Connection(auth_kind=Connection.AuthKind.PERSONAL_TOKEN, access_token="x")

    with pytest.raises(BadRequest, match="no Harvest account"):
        HarvestClient(bare, limiter=limiter).company()
