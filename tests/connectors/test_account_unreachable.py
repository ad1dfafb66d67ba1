"""A 401 for an account the token cannot reach is not "needs reconnecting".

Harvest answers 401 invalid_token both for a refused token and for a
Harvest-Account-Id the token cannot reach (REFERENCE.md §2.1, §9.1). The client
asks Harvest ID's accounts endpoint (which takes no account id) before it
refreshes or marks anything.
"""

import pytest
import responses

from connectors.harvest.client import HarvestClient
from connectors.harvest.errors import AccountUnreachable, Throttled, TokenInvalid
from connectors.models import Connection
from sandbox.server import run_in_thread
from tests.connectors.conftest import API, ID, fixture_json, make_connection

ACCOUNTS_URL = f"{ID}/api/v2/accounts"
TOKEN_URL = f"{ID}/api/v2/oauth2/token"
INVALID_TOKEN = fixture_json("error_401_invalid_token.json")
ACCOUNTS = fixture_json("accounts.json")
STALE_ACCOUNT = 7700001
WRONG_ACCOUNT_MESSAGE = (
    "This connection's Harvest login works, but it cannot reach Harvest account "
    "7700001; it reaches Acme Design Co (1122334), Acme Labs Sandbox (1122999). "
    "Use one of those accounts, or a connection whose Harvest login belongs to "
    "account 7700001."
)


def _urls() -> list[str]:
    return [call.request.url for call in responses.calls]


@responses.activate
def test_a_personal_token_with_a_stale_account_stays_connected(pat_connection, limiter):
    responses.get(f"{API}/v2/company", status=401, json=INVALID_TOKEN)
    responses.get(ACCOUNTS_URL, json=ACCOUNTS)

    with pytest.raises(AccountUnreachable) as raised:
        HarvestClient(pat_connection, STALE_ACCOUNT, limiter=limiter).company()

    pat_connection.refresh_from_db()
    assert raised.value.user_message == WRONG_ACCOUNT_MESSAGE
    assert (pat_connection.status, pat_connection.status_reason) == ("ok", "")
    assert _urls() == [f"{API}/v2/company", ACCOUNTS_URL]
    assert "Harvest-Account-Id" not in responses.calls[1].request.headers


@responses.activate
def test_an_oauth_token_is_not_refreshed_for_a_stale_account(connection, limiter):
    responses.get(f"{API}/v2/company", status=401, json=INVALID_TOKEN)
    responses.get(ACCOUNTS_URL, json=ACCOUNTS)

    with pytest.raises(AccountUnreachable):
        HarvestClient(connection, STALE_ACCOUNT, limiter=limiter).company()

    connection.refresh_from_db()
    assert TOKEN_URL not in _urls()
    assert connection.status == Connection.Status.OK


@responses.activate
def test_the_fresh_account_list_is_kept_on_the_connection(pat_connection, limiter):
    pat_connection.accounts = [
        {"id": STALE_ACCOUNT, "name": "Old", "product": "harvest"}
    ]
    pat_connection.save(update_fields=["accounts"])
    responses.get(f"{API}/v2/company", status=401, json=INVALID_TOKEN)
    responses.get(ACCOUNTS_URL, json=ACCOUNTS)

    with pytest.raises(AccountUnreachable):
        HarvestClient(pat_connection, STALE_ACCOUNT, limiter=limiter).company()

    pat_connection.refresh_from_db()
    assert [a["id"] for a in pat_connection.harvest_accounts()] == [1122334, 1122999]


@responses.activate
def test_a_token_refused_by_harvest_id_too_still_needs_reconnecting(
    pat_connection, limiter
):
    responses.get(f"{API}/v2/company", status=401, json=INVALID_TOKEN)
    responses.get(ACCOUNTS_URL, status=401, json=INVALID_TOKEN)

    with pytest.raises(TokenInvalid):
        HarvestClient(pat_connection, 1122334, limiter=limiter).company()

    pat_connection.refresh_from_db()
    assert pat_connection.status == Connection.Status.NEEDS_RECONNECT
    assert pat_connection.status_reason == "Harvest refused the personal access token."


@responses.activate
def test_an_expired_oauth_token_is_refreshed_after_the_check(connection, limiter):
    responses.get(f"{API}/v2/company", status=401, json=INVALID_TOKEN)
    responses.get(f"{API}/v2/company", json=fixture_json("company.json"))
    responses.get(ACCOUNTS_URL, status=401, json=INVALID_TOKEN)
    responses.post(TOKEN_URL, json=fixture_json("oauth_token_refreshed.json"))

    company = HarvestClient(connection, 1122334, limiter=limiter).company()

    assert company["name"] == fixture_json("company.json")["name"]
    assert _urls() == [
        f"{API}/v2/company",
        ACCOUNTS_URL,
        TOKEN_URL,
        f"{API}/v2/company",
    ]


@responses.activate
def test_a_401_for_a_listed_account_is_not_blamed_on_the_token(pat_connection, limiter):
    responses.get(f"{API}/v2/company", status=401, json=INVALID_TOKEN)
    responses.get(ACCOUNTS_URL, json=ACCOUNTS)

    with pytest.raises(AccountUnreachable) as raised:
        HarvestClient(pat_connection, 1122334, limiter=limiter).company()

    pat_connection.refresh_from_db()
    assert raised.value.user_message == (
        "Harvest refused account 1122334 although this connection's login "
        "belongs to it; this is usually brief. Try again in a few minutes."
    )
    assert pat_connection.status == Connection.Status.OK


@responses.activate
def test_a_login_left_with_no_harvest_account_is_told_so(pat_connection, limiter):
    responses.get(f"{API}/v2/company", status=401, json=INVALID_TOKEN)
    forecast_only = {**ACCOUNTS, "accounts": ACCOUNTS["accounts"][:1]}
    responses.get(ACCOUNTS_URL, json=forecast_only)

    with pytest.raises(AccountUnreachable) as raised:
        HarvestClient(pat_connection, 1122334, limiter=limiter).company()

    assert raised.value.user_message == (
        "This connection's Harvest login works, but it reaches no Harvest account "
        "any more (account 1122334 refused it). Reconnect with a Harvest login "
        "that belongs to the account."
    )


@responses.activate
def test_a_throttled_check_waits_retry_after_then_asks_again(
    pat_connection, limiter, sleeps
):
    responses.get(f"{API}/v2/company", status=401, json=INVALID_TOKEN)
    responses.get(ACCOUNTS_URL, status=429, headers={"Retry-After": "7"})
    responses.get(ACCOUNTS_URL, json=ACCOUNTS)

    with pytest.raises(AccountUnreachable):
        HarvestClient(pat_connection, STALE_ACCOUNT, limiter=limiter).company()

    assert _urls().count(ACCOUNTS_URL) == 2
    assert 7 in [round(seconds) for seconds in sleeps]
    pat_connection.refresh_from_db()
    assert pat_connection.status == Connection.Status.OK


@responses.activate
def test_a_check_that_keeps_being_throttled_marks_nothing(pat_connection, limiter):
    responses.get(f"{API}/v2/company", status=401, json=INVALID_TOKEN)
    responses.get(ACCOUNTS_URL, status=429, headers={"Retry-After": "1"})

    with pytest.raises(Throttled):
        HarvestClient(pat_connection, STALE_ACCOUNT, limiter=limiter).company()

    pat_connection.refresh_from_db()
    assert pat_connection.status == Connection.Status.OK


# Against the sandbox, which answers 401 for an account the token cannot reach.


@pytest.fixture(scope="module")
def sandbox():
    running = run_in_thread(seed=42, entries=50)
    yield running
    running.stop()


@pytest.fixture
def sandbox_pat(harvest_settings, sandbox, owner, workspace) -> Connection:
    harvest_settings.HARVEST_API_BASE = sandbox.api_base
    harvest_settings.HARVEST_ID_BASE = sandbox.id_base
    sandbox.reset()
    return make_connection(
        owner,
        workspace,
        auth_kind=Connection.AuthKind.PERSONAL_TOKEN,
        access_token="sandbox-demo-pat",
        refresh_token="",
        expires_at=None,
        accounts=[{"id": 4411001, "name": "Larkspur Studio", "product": "harvest"}],
    )


def test_the_sandbox_refuses_a_stale_account_and_the_connection_stays_ok(
    sandbox_pat, sandbox
):
    with pytest.raises(AccountUnreachable) as raised:
        HarvestClient(sandbox_pat, STALE_ACCOUNT).me()

    sandbox_pat.refresh_from_db()
    assert raised.value.user_message == (
        "This connection's Harvest login works, but it cannot reach Harvest "
        "account 7700001; it reaches Larkspur Studio (4411001). Use one of those "
        "accounts, or a connection whose Harvest login belongs to account 7700001."
    )
    assert sandbox_pat.status == Connection.Status.OK
    assert [(r.status, r.path) for r in sandbox.requests] == [
        (401, "/api/v2/users/me"),
        (200, "/id/api/v2/accounts"),
    ]
    assert HarvestClient(sandbox_pat, 4411001).me()["id"] > 0


def test_the_sandbox_refuses_a_wrong_token_and_it_needs_reconnecting(
    sandbox_pat, sandbox
):
    Connection.objects.filter(pk=sandbox_pat.pk).update(access_token="not-a-token")
    sandbox_pat.refresh_from_db()

    with pytest.raises(TokenInvalid):
        HarvestClient(sandbox_pat, 4411001).me()

    sandbox_pat.refresh_from_db()
    assert sandbox_pat.status == Connection.Status.NEEDS_RECONNECT
