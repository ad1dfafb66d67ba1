"""Expired tokens are refreshed once; refused ones mark the connection."""

import logging
from datetime import timedelta
from urllib.parse import parse_qs

import pytest
import responses
from django.utils import timezone

from connectors.harvest import tokens
from connectors.harvest.client import HarvestClient
from connectors.harvest.errors import HarvestError, HarvestUnavailable, TokenInvalid
from connectors.models import Connection
from tests.connectors.conftest import API, CANARY, ID, fixture_json

TOKEN_URL = f"{ID}/api/v2/oauth2/token"
REFRESHED = fixture_json("oauth_token_refreshed.json")
INVALID_GRANT = fixture_json("oauth_token_error_invalid_grant.json")
INVALID_TOKEN = fixture_json("error_401_invalid_token.json")
COMPANY = fixture_json("company.json")


def token_calls() -> list:
    return [c for c in responses.calls if c.request.url == TOKEN_URL]


@responses.activate
def test_it_refreshes_an_expired_token_once_and_retries(connection, limiter):
    responses.get(f"{API}/v2/company", status=401, json=INVALID_TOKEN)
    responses.get(f"{API}/v2/company", json=COMPANY)
    responses.post(TOKEN_URL, json=REFRESHED)

    company = HarvestClient(connection, limiter=limiter).company()

    connection.refresh_from_db()
    body = parse_qs(token_calls()[0].request.body)
    assert company["name"] == COMPANY["name"]
    assert len(token_calls()) == 1
    assert body["grant_type"] == ["refresh_token"]
    assert body["refresh_token"] == ["refresh-" + CANARY]
    assert body["client_id"] == ["client-id"]
    assert connection.access_token == REFRESHED["access_token"]
    # A rotated refresh token is stored in place of the old one.
    assert connection.refresh_token == REFRESHED["refresh_token"]
    assert responses.calls[-1].request.headers["Authorization"] == (
        f"Bearer {REFRESHED['access_token']}"
    )


@responses.activate
def test_a_second_401_after_refresh_is_not_refreshed_again(connection, limiter):
    responses.get(f"{API}/v2/company", status=401, json=INVALID_TOKEN)
    responses.post(TOKEN_URL, json=REFRESHED)

    with pytest.raises(TokenInvalid):
        HarvestClient(connection, limiter=limiter).company()

    assert len(token_calls()) == 1


@responses.activate
def test_it_marks_revoked_connection_on_invalid_grant(connection, limiter):
    responses.get(f"{API}/v2/company", status=401, json=INVALID_TOKEN)
    responses.post(TOKEN_URL, status=400, json=INVALID_GRANT)

    with pytest.raises(TokenInvalid) as raised:
        HarvestClient(connection, limiter=limiter).company()

    connection.refresh_from_db()
    assert connection.status == Connection.Status.NEEDS_RECONNECT
    assert "invalid_grant" in connection.status_reason
    assert "Reconnect" in raised.value.user_message


@responses.activate
def test_a_token_endpoint_outage_never_flips_status(connection, limiter):
    responses.get(f"{API}/v2/company", status=401, json=INVALID_TOKEN)
    responses.post(TOKEN_URL, status=503, body="upstream down")

    with pytest.raises(HarvestUnavailable):
        HarvestClient(connection, limiter=limiter).company()

    connection.refresh_from_db()
    assert connection.status == Connection.Status.OK
    assert connection.access_token == CANARY


@responses.activate
def test_it_marks_a_refused_personal_token_at_once(pat_connection, limiter):
    responses.get(f"{API}/v2/company", status=401, json=INVALID_TOKEN)

    with pytest.raises(TokenInvalid):
        HarvestClient(pat_connection, limiter=limiter).company()

    pat_connection.refresh_from_db()
    assert pat_connection.status == Connection.Status.NEEDS_RECONNECT
    assert token_calls() == []


@responses.activate
def test_it_refreshes_ahead_of_expiry(connection, limiter):
    Connection.objects.filter(pk=connection.pk).update(
        expires_at=timezone.now() + timedelta(hours=3)
    )
    connection.refresh_from_db()
    responses.post(TOKEN_URL, json=REFRESHED)
    responses.get(f"{API}/v2/company", json=COMPANY)

    HarvestClient(connection, limiter=limiter).company()

    connection.refresh_from_db()
    assert responses.calls[0].request.url == TOKEN_URL
    assert len(token_calls()) == 1
    assert connection.expires_at > timezone.now() + timedelta(days=13)


@responses.activate
def test_a_refresh_another_worker_already_did_is_skipped(connection):
    stale = connection.access_token
    Connection.objects.filter(pk=connection.pk).update(access_token="newer-token")

    tokens.refresh(connection, stale_access_token=stale)

    assert token_calls() == []
    assert connection.access_token == "newer-token"


@responses.activate
def test_the_canary_token_appears_in_no_log_and_no_error(connection, limiter, caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("urllib3", "requests_oauthlib", "oauthlib"):
        caplog.set_level(logging.DEBUG, logger=name)
    responses.get(f"{API}/v2/company", status=401, json=INVALID_TOKEN)
    responses.post(TOKEN_URL, status=400, json=INVALID_GRANT)
    responses.get(f"{API}/v2/projects", status=500)
    responses.get(f"{API}/v2/clients", status=403)
    responses.get(f"{API}/v2/tasks", body="{trunc")
    errors = []

    for path in ("/v2/company", "/v2/projects", "/v2/clients", "/v2/tasks"):
        Connection.objects.filter(pk=connection.pk).update(status="ok")
        client = HarvestClient(connection, limiter=limiter, sleep=lambda s: None)
        with pytest.raises(HarvestError) as raised:
            client.get(path)
        errors.append(raised.value)

    assert len(caplog.records) > 5
    assert CANARY not in caplog.text
    for error in errors:
        assert CANARY not in str(error)
        assert CANARY not in repr(error)
        assert CANARY not in error.user_message
