"""Members, roles and invitations, seen by admin, editor and outsider."""

import re

import pytest
from django.core import mail

from tests.conftest import make_user
from workspaces.models import AuditEvent, Membership


@pytest.fixture
def teammate_client(client, teammate):
    client.force_login(teammate)
    return client


def _invite(owner_client, email: str, role: str = "viewer") -> str:
    owner_client.post("/workspaces/members/invite/", {"email": email, "role": role})
    return re.search(r"/workspaces/invitations/[\w-]+/", mail.outbox[-1].body).group(0)


def test_it_invites_by_email_and_the_invitee_joins_with_that_role(
    owner_client, client, workspace
):
    link = _invite(owner_client, "bea@example.com", "viewer")
    bea = make_user("bea@example.com")
    owner_client.logout()
    client.force_login(bea)

    response = client.post(link)

    assert response.status_code == 302
    membership = Membership.objects.get(workspace=workspace, user=bea)
    assert membership.role == "viewer"
    assert client.session["workspace_id"] == workspace.pk
    assert list(AuditEvent.objects.values_list("action", flat=True)) == [
        "member.joined",
        "member.invited",
    ]


def test_it_refuses_an_invitation_link_used_by_another_address(
    owner_client, client, workspace
):
    link = _invite(owner_client, "bea@example.com")
    mallory = make_user("mallory@example.com")
    client.force_login(mallory)

    response = client.post(link)

    assert "sent to bea@example.com" in response.content.decode()
    assert not Membership.objects.filter(workspace=workspace, user=mallory).exists()


def test_it_refuses_a_used_invitation(owner_client, client, workspace):
    link = _invite(owner_client, "bea@example.com")
    bea = make_user("bea@example.com")
    client.force_login(bea)
    client.post(link)
    Membership.objects.filter(user=bea, workspace=workspace).delete()

    response = client.post(link)

    assert "already been used" in response.content.decode()
    assert not Membership.objects.filter(workspace=workspace, user=bea).exists()


def test_it_lets_only_admins_invite(teammate_client):
    teammate_client.post(
        "/workspaces/members/invite/", {"email": "x@example.com", "role": "admin"}
    )

    assert mail.outbox == []


def test_it_keeps_the_last_admin(owner_client, owner, workspace):
    response = owner_client.post(f"/workspaces/members/{owner.pk}/remove/", follow=True)

    assert "last admin cannot leave" in response.content.decode()
    assert Membership.objects.filter(workspace=workspace, user=owner).exists()


def test_it_lets_a_member_leave(teammate_client, teammate, workspace):
    teammate_client.post(f"/workspaces/members/{teammate.pk}/remove/")

    assert not Membership.objects.filter(workspace=workspace, user=teammate).exists()


def test_it_changes_a_role(owner_client, teammate, workspace):
    owner_client.post(f"/workspaces/members/{teammate.pk}/role/", {"role": "viewer"})

    assert Membership.objects.get(workspace=workspace, user=teammate).role == "viewer"


def test_it_answers_404_for_a_member_of_another_workspace(owner_client, outsider):
    response = owner_client.post(
        f"/workspaces/members/{outsider.pk}/role/", {"role": "viewer"}
    )

    assert response.status_code == 404
    assert Membership.objects.get(user=outsider).role == "admin"


def test_it_switches_only_to_workspaces_the_user_belongs_to(
    client, teammate, workspace, outsider
):
    client.force_login(teammate)
    own = Membership.objects.get(user=teammate, role="admin").workspace
    foreign = Membership.objects.get(user=outsider).workspace

    client.post("/workspaces/switch/", {"workspace": own.pk})
    assert client.session["workspace_id"] == own.pk

    response = client.post("/workspaces/switch/", {"workspace": foreign.pk})
    assert response.status_code == 404
    assert client.session["workspace_id"] == own.pk


def test_an_admin_renames_the_workspace_and_the_switcher_shows_it(
    owner_client, teammate, workspace
):
    response = owner_client.post(
        "/workspaces/members/rename/", {"name": "  Larkspur Studio  "}, follow=True
    )

    workspace.refresh_from_db()
    assert workspace.name == "Larkspur Studio"
    assert [str(m) for m in response.context["messages"]] == [
        "The workspace is now called Larkspur Studio."
    ]
    event = AuditEvent.objects.get(action="workspace.renamed")
    assert (event.target, event.detail) == (
        "Larkspur Studio",
        {"old_name": "owner@example.com's workspace"},
    )


def test_only_admins_rename_the_workspace(teammate_client, workspace):
    response = teammate_client.post(
        "/workspaces/members/rename/", {"name": "Mine now"}, follow=True
    )

    workspace.refresh_from_db()
    assert workspace.name == "owner@example.com's workspace"
    assert [str(m) for m in response.context["messages"]] == [
        "Only a workspace admin can manage members."
    ]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "This field is required."),
        ("   ", "This field is required."),
        ("x" * 256, "Ensure this value has at most 255 characters (it has 256)."),
        ("nul\x00name", "Null characters are not allowed."),
    ],
)
def test_a_bad_workspace_name_is_refused_with_a_message(
    owner_client, workspace, name, reason
):
    response = owner_client.post(
        "/workspaces/members/rename/", {"name": name}, follow=True
    )

    workspace.refresh_from_db()
    assert workspace.name == "owner@example.com's workspace"
    assert [str(m) for m in response.context["messages"]] == [
        f"Workspace name: {reason}"
    ]
