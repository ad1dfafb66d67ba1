"""The OAuth round-trip against the real sandbox, driven like a browser."""

import re
import time
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from connectors.harvest.client import HarvestClient
from connectors.harvest.errors import TokenInvalid
from connectors.models import Connection
from sandbox.server import run_in_thread
from tests.connectors.conftest import CANARY, make_connection

LIST_URL = reverse("connectors:connection_list")


class HiddenInputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag, attrs) -> None:
        attributes = dict(attrs)
        if tag == "input" and attributes.get("type") == "hidden":
            self.values[attributes["name"]] = attributes.get("value", "")


@pytest.fixture(scope="module")
def sandbox():
    running = run_in_thread(seed=42, entries=50)
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def on_sandbox(harvest_settings, sandbox):
    harvest_settings.HARVEST_API_BASE = sandbox.api_base
    harvest_settings.HARVEST_ID_BASE = sandbox.id_base
    harvest_settings.HARVEST_CLIENT_ID = "harvestdash-demo"
    harvest_settings.HARVEST_CLIENT_SECRET = "harvestdash-demo-secret"
    harvest_settings.SITE_URL = "http://127.0.0.1:8000"
    sandbox.reset()
    yield


def token_requests(sandbox) -> list:
    return [r for r in sandbox.requests if r.path.endswith("/oauth2/token")]


def start(client, next_path: str = "/sources/") -> str:
    response = client.get(reverse("connectors:connect_harvest"), {"next": next_path})
    assert response.status_code == 302
    return response["Location"]


def consent(authorize_url: str, decision: str = "approve") -> str:
    """Open the sandbox consent page and press a button; returns the callback."""
    page = requests.get(authorize_url, timeout=10)
    form = HiddenInputs()
    form.feed(page.text)
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(authorize_url))
    answer = requests.post(
        origin + "/id/oauth2/authorize",
        data={**form.values, "decision": decision},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302
    return answer.headers["Location"]


def callback_path(location: str) -> str:
    parts = urlsplit(location)
    assert parts.path == reverse("connectors:oauth_callback")
    return f"{parts.path}?{parts.query}"


def test_owner_connects_and_gets_a_named_connection(owner_client, owner, sandbox):
    authorize = start(owner_client)
    query = parse_qs(urlsplit(authorize).query)
    before = datetime.now(UTC).replace(second=0, microsecond=0)

    response = owner_client.get(callback_path(consent(authorize)))

    connection = Connection.objects.get(owner=owner)
    stamp = datetime.strptime(
        connection.name.rsplit("@Harvest ", 1)[1], "%Y-%m-%d %H:%M"
    ).replace(tzinfo=UTC)
    assert response.status_code == 302
    assert response["Location"] == "/sources/"
    assert len(query["state"][0]) >= 43  # 32 random bytes, base64
    assert connection.name.startswith("Maya Okafor@Harvest ")
    assert before <= stamp <= datetime.now(UTC)
    assert connection.auth_kind == Connection.AuthKind.OAUTH
    assert connection.harvest_user_email == "maya.okafor@example.com"
    assert connection.harvest_time_zone == "Eastern Time (US & Canada)"
    assert [a["id"] for a in connection.harvest_accounts()] == [4411001]
    assert connection.expires_at > timezone.now() + timedelta(days=13)
    assert len(token_requests(sandbox)) == 1


def test_a_state_mismatch_is_refused_without_a_token_call(owner_client, sandbox):
    authorize = start(owner_client)
    location = consent(authorize)
    forged = re.sub(r"state=[^&]+", "state=forged-state-value", location)

    response = owner_client.get(callback_path(forged), follow=True)

    assert Connection.objects.count() == 0
    assert token_requests(sandbox) == []
    assert "could not be matched" in response.content.decode()


def test_a_replayed_state_is_refused(owner_client, sandbox):
    path = callback_path(consent(start(owner_client)))
    owner_client.get(path)

    response = owner_client.get(path, follow=True)

    assert Connection.objects.count() == 1
    assert len(token_requests(sandbox)) == 1
    assert "already used" in response.content.decode()


def test_a_state_from_another_session_is_refused(owner_client, owner, sandbox):
    path = callback_path(consent(start(owner_client)))
    other = Client()
    other.force_login(owner)

    other.get(path)

    assert Connection.objects.count() == 0
    assert token_requests(sandbox) == []


def test_an_expired_state_is_refused(owner_client, sandbox, monkeypatch):
    path = callback_path(consent(start(owner_client)))
    later = time.time() + 11 * 60
    monkeypatch.setattr("connectors.actions.time.time", lambda: later)

    response = owner_client.get(path, follow=True)

    assert Connection.objects.count() == 0
    assert "longer than 10 minutes" in response.content.decode()


def test_denied_consent_gets_a_clear_message(owner_client, sandbox):
    location = consent(start(owner_client), decision="deny")

    response = owner_client.get(callback_path(location), follow=True)

    assert Connection.objects.count() == 0
    assert "You declined access in Harvest" in response.content.decode()
    assert token_requests(sandbox) == []


def test_forecast_only_login_creates_nothing(owner_client, sandbox):
    sandbox.knobs.accounts = "forecast_only"

    response = owner_client.get(
        callback_path(consent(start(owner_client))), follow=True
    )

    assert Connection.objects.count() == 0
    assert "reaches no Harvest account" in response.content.decode()


def test_an_expired_token_is_refreshed_exactly_once(owner, workspace, sandbox):
    issued = sandbox.issue_tokens()
    connection = make_connection(
        owner,
        workspace,
        access_token=issued["access_token"],
        refresh_token=issued["refresh_token"],
        accounts=[{"id": 4411001, "name": "Larkspur Studio", "product": "harvest"}],
    )
    sandbox.expire_all_tokens()

    company = HarvestClient(connection).company()

    connection.refresh_from_db()
    assert company["name"]
    assert len(token_requests(sandbox)) == 1
    assert connection.access_token != issued["access_token"]
    assert connection.refresh_token != issued["refresh_token"]  # rotated, stored
    assert connection.status == Connection.Status.OK


def test_a_revoked_refresh_token_needs_reconnect(owner, workspace, sandbox):
    issued = sandbox.issue_tokens()
    connection = make_connection(
        owner,
        workspace,
        access_token=issued["access_token"],
        refresh_token=issued["refresh_token"],
        accounts=[{"id": 4411001, "name": "Larkspur Studio", "product": "harvest"}],
    )
    sandbox.expire_all_tokens()
    sandbox.revoke_refresh_tokens()

    with pytest.raises(TokenInvalid):
        HarvestClient(connection).company()

    connection.refresh_from_db()
    assert connection.status == Connection.Status.NEEDS_RECONNECT


def test_reconnect_restores_the_same_connection(
    owner_client, owner, workspace, sandbox
):
    connection = make_connection(
        owner,
        workspace,
        status=Connection.Status.NEEDS_RECONNECT,
        harvest_identity_id=9300001,
    )
    response = owner_client.get(
        reverse("connectors:connection_reconnect", args=[connection.pk])
    )

    landed = owner_client.get(callback_path(consent(response["Location"])), follow=True)

    connection.refresh_from_db()
    assert [str(m) for m in landed.context["messages"]] == [
        f"Reconnected “{connection.name}”."
    ]
    assert Connection.objects.count() == 1
    assert connection.status == Connection.Status.OK
    assert connection.harvest_user_name == "Maya Okafor"
    assert connection.access_token != CANARY
