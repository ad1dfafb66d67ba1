"""Connection pages: personas, the token form, the accounts JSON."""

from datetime import UTC, datetime

import pytest
import responses
from django.test import Client
from django.urls import reverse

from connectors.models import Connection
from tests.connectors.conftest import API, CANARY, ID, fixture_json, make_connection

ACCOUNTS = fixture_json("accounts.json")


def connection_urls(pk: int) -> list[tuple[str, str]]:
    return [
        ("get", reverse("connectors:connection_detail", args=[pk])),
        ("post", reverse("connectors:connection_rename", args=[pk])),
        ("get", reverse("connectors:connection_delete", args=[pk])),
        ("post", reverse("connectors:connection_delete", args=[pk])),
        ("get", reverse("connectors:connection_reconnect", args=[pk])),
        ("get", reverse("connectors:connection_accounts", args=[pk])),
    ]


@pytest.mark.parametrize("persona", ["outsider", "teammate"])
def test_others_get_404_on_every_connection_url(request, connection, persona):
    visitor = Client()
    visitor.force_login(request.getfixturevalue(persona))

    statuses = [
        getattr(visitor, method)(url, {"name": "mine now"}).status_code
        for method, url in connection_urls(connection.pk)
    ]

    connection.refresh_from_db()
    assert statuses == [404] * 6
    assert connection.name == "Dana Reyes@Harvest"


def test_the_list_shows_only_my_connections(
    owner_client, connection, teammate, workspace
):
    make_connection(teammate, workspace, name="Teammate's login")

    page = owner_client.get(reverse("connectors:connection_list")).content.decode()

    assert "Dana Reyes@Harvest" in page
    assert "Teammate&#x27;s login" not in page
    assert "Teammate's login" not in page
    assert CANARY not in page


def test_the_list_says_which_connection_needs_reconnecting(
    owner_client, owner, workspace
):
    make_connection(
        owner,
        workspace,
        name="Revoked one",
        status=Connection.Status.NEEDS_RECONNECT,
        status_reason="Harvest refused to refresh the token (invalid_grant).",
    )

    page = owner_client.get(reverse("connectors:connection_list")).content.decode()

    assert "Needs reconnecting" in page
    assert "invalid_grant" in page


@responses.activate
def test_a_personal_token_is_checked_against_the_accounts_endpoint(owner_client, owner):
    responses.get(f"{ID}/api/v2/accounts", json=ACCOUNTS)
    responses.get(f"{API}/v2/users/me", json=fixture_json("users_me.json"))

    response = owner_client.post(reverse("connectors:connect_pat"), {"token": CANARY})

    connection = Connection.objects.get(owner=owner)
    assert response.status_code == 302
    assert connection.auth_kind == Connection.AuthKind.PERSONAL_TOKEN
    assert connection.access_token == CANARY
    assert connection.name.startswith("Dana Reyes@Harvest 20")
    assert responses.calls[1].request.headers["Harvest-Account-Id"] == "1122334"
    # The token was just used to find out whose it is.
    assert abs((connection.last_used_at - connection.created_at).total_seconds()) < 1


@responses.activate
def test_connections_made_in_the_same_minute_get_different_names(
    owner_client, owner, monkeypatch
):
    responses.get(f"{ID}/api/v2/accounts", json=ACCOUNTS)
    responses.get(f"{API}/v2/users/me", json=fixture_json("users_me.json"))
    made_at = datetime(2026, 12, 4, 9, 49, 12, tzinfo=UTC)
    monkeypatch.setattr("connectors.actions.timezone.now", lambda: made_at)

    for _ in range(3):
        owner_client.post(reverse("connectors:connect_pat"), {"token": CANARY})

    names = list(
        Connection.objects.filter(owner=owner)
        .order_by("pk")
        .values_list("name", flat=True)
    )
    assert names == [
        "Dana Reyes@Harvest 2026-12-04 09:49",
        "Dana Reyes@Harvest 2026-12-04 09:49 (2)",
        "Dana Reyes@Harvest 2026-12-04 09:49 (3)",
    ]


@responses.activate
def test_a_refused_personal_token_is_a_form_error(owner_client):
    responses.get(
        f"{ID}/api/v2/accounts",
        status=401,
        json=fixture_json("error_401_invalid_token.json"),
    )

    response = owner_client.post(reverse("connectors:connect_pat"), {"token": CANARY})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Harvest did not accept this token." in page
    assert CANARY not in page
    assert Connection.objects.count() == 0


@responses.activate
def test_harvest_down_while_connecting_is_a_clear_message(owner_client, monkeypatch):
    monkeypatch.setattr("connectors.harvest.client.HarvestClient.backoff_seconds", 0)
    responses.get(f"{ID}/api/v2/accounts", status=503)

    response = owner_client.post(reverse("connectors:connect_pat"), {"token": "abc"})

    assert "Try again in a few minutes" in response.content.decode()
    assert Connection.objects.count() == 0


@responses.activate
def test_accounts_json_lists_harvest_accounts_and_caches_them(owner_client, connection):
    responses.get(f"{ID}/api/v2/accounts", json=ACCOUNTS)
    Connection.objects.filter(pk=connection.pk).update(accounts=[])

    response = owner_client.get(
        reverse("connectors:connection_accounts", args=[connection.pk])
    )

    connection.refresh_from_db()
    assert response.json() == {
        "accounts": [
            {"id": 1122334, "name": "Acme Design Co"},
            {"id": 1122999, "name": "Acme Labs Sandbox"},
        ]
    }
    assert len(connection.accounts) == 3


@responses.activate
def test_accounts_json_reports_harvest_errors_as_json(owner_client, pat_connection):
    responses.get(f"{ID}/api/v2/accounts", status=401)

    response = owner_client.get(
        reverse("connectors:connection_accounts", args=[pat_connection.pk])
    )

    assert response.status_code == 409
    assert "Reconnect" in response.json()["error"]


def test_rename_and_delete(owner_client, connection):
    owner_client.post(
        reverse("connectors:connection_rename", args=[connection.pk]),
        {"name": "Agency login"},
    )
    connection.refresh_from_db()
    detail = owner_client.get(
        reverse("connectors:connection_detail", args=[connection.pk])
    )
    confirm = owner_client.get(
        reverse("connectors:connection_delete", args=[connection.pk])
    )

    owner_client.post(reverse("connectors:connection_delete", args=[connection.pk]))

    assert connection.name == "Agency login"
    assert "Acme Labs Sandbox" in detail.content.decode()
    assert "Delete “Agency login”?" in confirm.content.decode()
    assert not Connection.objects.filter(pk=connection.pk).exists()


@pytest.mark.parametrize(
    "next_path", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"]
)
def test_connect_ignores_an_offsite_next(owner_client, next_path):
    owner_client.get(reverse("connectors:connect_harvest"), {"next": next_path})

    pending = owner_client.session["harvest_oauth_states"]
    assert [entry["next"] for entry in pending.values()] == ["/connections/"]


def test_connect_without_an_oauth_app_says_so(owner_client, settings):
    settings.HARVEST_CLIENT_ID = ""

    response = owner_client.get(reverse("connectors:connect_harvest"), follow=True)

    assert "not set up on this server" in response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("connectors:connection_list")
