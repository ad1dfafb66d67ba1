"""The id side: consent page, codes, token exchange, refresh, accounts."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from sandbox import catalog
from tests.sandbox.conftest import USER_AGENT, harvest_headers

CLIENT = {"client_id": "harvestdash-demo", "client_secret": "harvestdash-demo-secret"}
CALLBACK = "http://127.0.0.1:8000/connections/harvest/callback/"


def decide(sb, decision: str, state: str = "s1", redirect_uri: str = CALLBACK):
    form = {
        "client_id": "harvestdash-demo",
        "response_type": "code",
        "state": state,
        "redirect_uri": redirect_uri,
        "decision": decision,
    }
    response = requests.post(
        sb.id_base + "/oauth2/authorize", data=form, allow_redirects=False, timeout=10
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    return location, {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def token(sb, **form) -> requests.Response:
    return requests.post(
        sb.id_base + "/api/v2/oauth2/token",
        data={**CLIENT, **form},
        headers={"User-Agent": USER_AGENT},
        timeout=10,
    )


def exchange(sb) -> dict:
    _, query = decide(sb, "approve")
    response = token(sb, grant_type="authorization_code", code=query["code"])
    assert response.status_code == 200
    return response.json()


def test_it_shows_a_consent_page(sb):
    response = requests.get(
        sb.id_base + "/oauth2/authorize",
        params={
            "client_id": "harvestdash-demo",
            "response_type": "code",
            "state": "<x>",
        },
        timeout=10,
    )

    assert response.status_code == 200
    assert "HarvestDash wants to access your Harvest account" in response.text
    assert "Maya Okafor" in response.text
    assert 'value="approve"' in response.text and 'value="deny"' in response.text
    assert 'value="&lt;x&gt;"' in response.text


def test_it_refuses_unknown_clients_and_foreign_redirects(sb):
    unknown = requests.get(
        sb.id_base + "/oauth2/authorize",
        timeout=10,
        params={"client_id": "someone-else", "response_type": "code"},
    )
    foreign = requests.get(
        sb.id_base + "/oauth2/authorize",
        timeout=10,
        params={
            "client_id": "harvestdash-demo",
            "response_type": "code",
            "redirect_uri": "https://evil.example.com/cb",
        },
    )

    assert unknown.status_code == 400
    assert foreign.status_code == 400


def test_it_redirects_back_with_access_denied_on_deny(sb):
    location, query = decide(sb, "deny", state="st-9")

    assert location.startswith(CALLBACK)
    assert query == {"error": "access_denied", "state": "st-9"}


def test_it_redirects_with_code_scope_and_state_on_approve(sb):
    location, query = decide(sb, "approve", state="st-1")

    assert location.startswith(CALLBACK + "?")
    assert query["scope"] == "harvest:all"
    assert query["state"] == "st-1"
    assert len(query["code"]) > 20


def test_it_uses_the_default_callback_without_redirect_uri(sb):
    location, _ = decide(sb, "approve", redirect_uri="")

    assert location.startswith("http://127.0.0.1:8000/connections/harvest/callback/?")


def test_it_exchanges_a_code_once(sb):
    _, query = decide(sb, "approve")

    first = token(sb, grant_type="authorization_code", code=query["code"])
    second = token(sb, grant_type="authorization_code", code=query["code"])

    assert first.status_code == 200
    assert set(first.json()) == {
        "access_token",
        "refresh_token",
        "token_type",
        "expires_in",
    }
    assert first.json()["token_type"] == "bearer"
    assert first.json()["expires_in"] == 1209599
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"


def test_it_refuses_an_expired_code(sb):
    sb.knobs.code_lifetime = -1
    _, query = decide(sb, "approve")

    response = token(sb, grant_type="authorization_code", code=query["code"])

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_it_checks_the_client_secret(sb):
    _, query = decide(sb, "approve")

    response = token(
        sb, grant_type="authorization_code", code=query["code"], client_secret="wrong"
    )

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_it_rotates_refresh_tokens(sb):
    tokens = exchange(sb)

    refreshed = token(
        sb, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    reused = token(
        sb, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    next_round = token(
        sb, grant_type="refresh_token", refresh_token=refreshed.json()["refresh_token"]
    )

    assert refreshed.status_code == 200
    assert refreshed.json()["refresh_token"] != tokens["refresh_token"]
    assert refreshed.json()["access_token"] != tokens["access_token"]
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    assert next_round.status_code == 200


def test_it_keeps_the_refresh_token_when_rotation_is_off(sb):
    sb.knobs.rotate_refresh_tokens = False
    tokens = exchange(sb)

    first = token(sb, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    second = token(
        sb, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )

    assert first.json()["refresh_token"] == tokens["refresh_token"]
    assert second.status_code == 200


def test_it_refuses_revoked_refresh_tokens(sb):
    tokens = exchange(sb)
    sb.revoke_refresh_tokens()

    response = token(
        sb, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_it_expires_all_tokens_and_accepts_refreshed_ones(sb, harvest):
    tokens = exchange(sb)
    before = harvest.get("/v2/users/me", token=tokens["access_token"]).status_code
    sb.expire_all_tokens()
    after = harvest.get("/v2/users/me", token=tokens["access_token"])
    refreshed = token(
        sb, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    ).json()

    assert before == 200
    assert after.status_code == 401
    assert after.json()["error"] == "invalid_token"
    assert (
        harvest.get("/v2/users/me", token=refreshed["access_token"]).status_code == 200
    )


def test_it_expires_tokens_after_their_lifetime(sb, harvest):
    sb.knobs.token_lifetime = -1
    tokens = exchange(sb)

    assert tokens["expires_in"] == -1
    assert harvest.get("/v2/company", token=tokens["access_token"]).status_code == 401


@pytest.mark.parametrize(
    ("accounts", "products"),
    [("both", ["forecast", "harvest"]), ("forecast_only", ["forecast"]), ("none", [])],
)
def test_it_lists_accounts_per_knob(sb, accounts, products):
    sb.knobs.accounts = accounts

    response = requests.get(
        sb.id_base + "/api/v2/accounts",
        headers=harvest_headers(account=None),
        timeout=10,
    )

    assert response.status_code == 200
    assert [a["product"] for a in response.json()["accounts"]] == products
    assert response.json()["user"]["id"] == catalog.IDENTITY_USER_ID


def test_it_refuses_accounts_without_a_valid_token(sb):
    response = requests.get(
        sb.id_base + "/api/v2/accounts",
        headers=harvest_headers(token="nope"),
        timeout=10,
    )

    assert response.status_code == 401


def test_it_accepts_client_credentials_as_basic_auth(sb):
    _, query = decide(sb, "approve")

    response = requests.post(
        sb.id_base + "/api/v2/oauth2/token",
        data={"grant_type": "authorization_code", "code": query["code"]},
        auth=("harvestdash-demo", "harvestdash-demo-secret"),
        timeout=10,
    )

    assert response.status_code == 200
    assert response.json()["token_type"] == "bearer"
