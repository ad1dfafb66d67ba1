"""A new user invited to a team starts in that team, with one dashboard."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from klips.models import Dashboard
from workspaces.models import AuditEvent, Membership, Workspace

PASSPHRASE = "a long enough passphrase"


@pytest.fixture
def invitation_link(owner_client, workspace) -> str:
    owner_client.post(
        "/workspaces/members/invite/", {"email": "bea@example.com", "role": "editor"}
    )
    owner_client.logout()
    return re.search(r"/workspaces/invitations/[\w-]+/", mail.outbox[-1].body).group(0)


def _sign_up(client, email: str = "bea@example.com"):
    return client.post(
        "/accounts/signup/",
        {"email": email, "password1": PASSPHRASE, "password2": PASSPHRASE},
    )


def _dashboards_of(user) -> list[tuple[str, str]]:
    return list(
        Dashboard.objects.filter(owner=user)
        .order_by("pk")
        .values_list("workspace__name", "name")
    )


def test_signing_up_from_the_link_joins_only_the_invited_workspace(
    client, invitation_link, workspace
):
    page = client.get(invitation_link).content.decode()
    signup_link = re.search(r'href="([^"]+)">Create an account', page).group(1)
    assert signup_link == "/accounts/signup/?email=bea%40example.com"

    signup_form = client.get(signup_link).content.decode()
    assert 'value="bea@example.com"' in signup_form
    signed_up = _sign_up(client)
    landing = client.get(signed_up["Location"], follow=True)

    bea = get_user_model().objects.get(email="bea@example.com")
    assert list(
        Membership.objects.filter(user=bea).values_list("workspace", "role")
    ) == [(workspace.pk, "editor")]
    assert Workspace.objects.count() == 1
    assert client.session["workspace_id"] == workspace.pk
    assert landing.redirect_chain[-1][0] == "/dashboards/"
    assert _dashboards_of(bea) == [("owner@example.com's workspace", "My dashboard")]
    assert AuditEvent.objects.filter(action="member.joined").count() == 1


def test_the_link_counts_as_verifying_the_address(client, invitation_link):
    client.get(invitation_link)
    mails_before = len(mail.outbox)

    _sign_up(client)

    address = EmailAddress.objects.get(email="bea@example.com")
    assert address.verified is True
    assert len(mail.outbox) == mails_before


def test_opening_the_link_again_after_signing_up_lands_in_the_workspace(
    client, invitation_link, workspace
):
    client.get(invitation_link)
    _sign_up(client)

    response = client.get(invitation_link, follow=True)

    assert response.redirect_chain[-1][0] == "/dashboards/"
    assert [str(m) for m in response.context["messages"]] == [
        "Welcome to owner@example.com's workspace: you joined as editor.",
        "Successfully signed in as bea@example.com.",
        "You are a member of owner@example.com's workspace.",
    ]


def test_signing_up_with_another_address_is_an_ordinary_sign_up(
    client, invitation_link, workspace
):
    client.get(invitation_link)

    _sign_up(client, "someone-else@example.com")

    user = get_user_model().objects.get(email="someone-else@example.com")
    assert list(
        Membership.objects.filter(user=user).values_list("workspace__name", "role")
    ) == [("someone-else@example.com's workspace", "admin")]
    assert workspace.invitations.get().is_pending
    assert list(EmailAddress.objects.values_list("email", "verified")) == [
        ("someone-else@example.com", False)
    ]


def test_a_sign_up_without_the_link_does_not_join(client, invitation_link, workspace):
    """Knowing the address is not enough: the link proves the e-mail was read."""
    _sign_up(client)

    bea = get_user_model().objects.get(email="bea@example.com")
    assert list(
        Membership.objects.filter(user=bea).values_list("workspace__name", flat=True)
    ) == ["bea@example.com's workspace"]
    assert workspace.invitations.get().is_pending


def test_an_existing_user_logs_in_from_the_link_and_accepts(
    client, invitation_link, workspace
):
    bea = get_user_model().objects.create_user(
        username="bea@example.com", email="bea@example.com", password=PASSPHRASE
    )
    page = client.get(invitation_link).content.decode()
    login_link = re.search(r'href="(/accounts/login/\?next=[^"]+)"', page).group(1)

    logged_in = client.post(
        login_link, {"login": "bea@example.com", "password": PASSPHRASE}
    )
    assert logged_in["Location"] == invitation_link
    client.post(invitation_link)

    assert client.session["workspace_id"] == workspace.pk
    assert sorted(
        Membership.objects.filter(user=bea).values_list("workspace__name", "role")
    ) == [
        ("bea@example.com's workspace", "admin"),
        ("owner@example.com's workspace", "editor"),
    ]


def test_the_switcher_names_each_workspace_with_the_role(
    client, invitation_link, workspace
):
    bea = get_user_model().objects.create_user(
        username="bea@example.com", email="bea@example.com", password=PASSPHRASE
    )
    client.force_login(bea)
    client.post(invitation_link)

    page = client.get("/workspaces/members/").content.decode()

    assert re.findall(r"<option value=\"\d+\"( selected)?>([^<]+)</option>", page)[
        :2
    ] == [
        ("", "bea@example.com&#x27;s workspace (admin)"),
        (" selected", "owner@example.com&#x27;s workspace (editor)"),
    ]


def test_a_signed_out_accept_post_goes_to_log_in(client, invitation_link):
    response = client.post(invitation_link)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={invitation_link}"


def test_leaving_the_only_workspace_starts_a_new_one(
    client, invitation_link, workspace
):
    client.get(invitation_link)
    _sign_up(client)
    bea = get_user_model().objects.get(email="bea@example.com")

    client.post(f"/workspaces/members/{bea.pk}/remove/")
    response = client.get("/workspaces/members/")

    assert response.status_code == 200
    assert list(
        Membership.objects.filter(user=bea).values_list("workspace__name", "role")
    ) == [("bea@example.com's workspace", "admin")]
    assert (
        client.session["workspace_id"] == Membership.objects.get(user=bea).workspace_id
    )


def test_a_viewer_invited_gets_no_empty_dashboard_of_their_own(owner_client, workspace):
    owner_client.post(
        "/workspaces/members/invite/", {"email": "vi@example.com", "role": "viewer"}
    )
    link = re.search(r"/workspaces/invitations/[\w-]+/", mail.outbox[-1].body).group(0)
    visitor = Client()
    visitor.get(link)
    _sign_up(visitor, "vi@example.com")

    response = visitor.get("/dashboards/")

    vi = get_user_model().objects.get(email="vi@example.com")
    assert response.status_code == 200
    assert _dashboards_of(vi) == []
