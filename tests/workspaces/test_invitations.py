"""Inviting again, revoking, and what a revoked link says; admin, editor, outsider."""

import re

import pytest
from django.core import mail
from django.db import IntegrityError

from tests.conftest import make_user
from workspaces.models import AuditEvent, Invitation, Membership


def _invite(client, email: str, role: str = "editor"):
    return client.post(
        "/workspaces/members/invite/", {"email": email, "role": role}, follow=True
    )


def _link_in(message) -> str:
    return re.search(r"/workspaces/invitations/[\w-]+/", message.body).group(0)


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_it_resends_the_pending_invitation_instead_of_making_a_second(
    owner_client, workspace
):
    _invite(owner_client, "bea@example.com", "viewer")
    response = _invite(owner_client, "Bea@Example.com ", "editor")

    invitation = Invitation.objects.get(workspace=workspace)
    assert (invitation.email, invitation.role) == ("bea@example.com", "editor")
    assert _messages(response) == [
        "bea@example.com already had a pending invitation: it was sent again, as "
        "editor (role changed from viewer). The link in the earlier e-mail still "
        "works."
    ]
    assert [m.to for m in mail.outbox] == [["bea@example.com"], ["bea@example.com"]]
    assert _link_in(mail.outbox[0]) == _link_in(mail.outbox[1])
    assert "as editor" in mail.outbox[1].body
    assert list(
        AuditEvent.objects.values_list("action", "target", "detail").order_by("pk")
    ) == [
        ("member.invited", "bea@example.com", {"role": "viewer"}),
        (
            "member.invitation_resent",
            "bea@example.com",
            {"role": "editor", "old_role": "viewer"},
        ),
    ]


def test_it_says_the_same_role_was_sent_again(owner_client, workspace):
    _invite(owner_client, "bea@example.com", "viewer")
    response = _invite(owner_client, "bea@example.com", "viewer")

    assert _messages(response) == [
        "bea@example.com already had a pending invitation: it was sent again, as "
        "viewer. The link in the earlier e-mail still works."
    ]
    assert Invitation.objects.filter(workspace=workspace).count() == 1


def test_the_database_holds_one_pending_invitation_per_address(owner, workspace):
    Invitation.objects.create(workspace=workspace, email="bea@example.com", token="a")

    with pytest.raises(IntegrityError):
        Invitation.objects.create(
            workspace=workspace, email="bea@example.com", token="b"
        )


def test_it_lists_pending_invitations_with_a_revoke_button(owner_client, workspace):
    _invite(owner_client, "bea@example.com", "viewer")
    invitation = Invitation.objects.get(workspace=workspace)

    page = owner_client.get("/workspaces/members/").content.decode()

    assert f"/workspaces/members/invitations/{invitation.pk}/revoke/" in page
    assert 'aria-label="Revoke the invitation of bea@example.com"' in page


def test_an_admin_revokes_and_the_link_then_says_so(owner_client, client, workspace):
    _invite(owner_client, "bea@example.com", "viewer")
    invitation = Invitation.objects.get(workspace=workspace)
    link = _link_in(mail.outbox[-1])

    response = owner_client.post(
        f"/workspaces/members/invitations/{invitation.pk}/revoke/", follow=True
    )

    assert _messages(response) == [
        "The invitation of bea@example.com was revoked; its link no longer works."
    ]
    assert "bea@example.com" not in response.context["invitations"].values_list(
        "email", flat=True
    )
    event = AuditEvent.objects.order_by("-pk").first()
    assert (event.action, event.target, event.detail) == (
        "member.invitation_revoked",
        "bea@example.com",
        {"role": "viewer"},
    )

    bea = make_user("bea@example.com")
    client.force_login(bea)
    refused = client.post(link)
    assert refused.status_code == 410
    assert (
        "This invitation to owner@example.com&#x27;s workspace was withdrawn by the "
        "workspace&#x27;s admins." in refused.content.decode()
    )
    assert not Membership.objects.filter(workspace=workspace, user=bea).exists()


def test_a_revoked_link_answers_410_signed_out_too(owner_client, client, workspace):
    _invite(owner_client, "bea@example.com")
    invitation = Invitation.objects.get(workspace=workspace)
    owner_client.post(f"/workspaces/members/invitations/{invitation.pk}/revoke/")
    owner_client.logout()

    response = client.get(f"/workspaces/invitations/{invitation.token}/")

    assert response.status_code == 410
    assert "Create an account" not in response.content.decode()
    assert "workspace_invitation_token" not in client.session


def test_after_revoking_the_address_can_be_invited_again(owner_client, workspace):
    _invite(owner_client, "bea@example.com")
    first = Invitation.objects.get(workspace=workspace)
    owner_client.post(f"/workspaces/members/invitations/{first.pk}/revoke/")

    _invite(owner_client, "bea@example.com")

    second = Invitation.objects.get(workspace=workspace, revoked_at=None)
    assert second.pk != first.pk
    assert second.token != first.token


def test_only_admins_revoke(client, teammate, owner_client, workspace):
    _invite(owner_client, "bea@example.com")
    invitation = Invitation.objects.get(workspace=workspace)
    client.force_login(teammate)

    response = client.post(
        f"/workspaces/members/invitations/{invitation.pk}/revoke/", follow=True
    )

    assert _messages(response) == ["Only a workspace admin can manage members."]
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_an_admin_of_another_workspace_gets_404(client, outsider, owner_client):
    _invite(owner_client, "bea@example.com")
    invitation = Invitation.objects.get(email="bea@example.com")
    client.force_login(outsider)

    response = client.post(f"/workspaces/members/invitations/{invitation.pk}/revoke/")

    assert response.status_code == 404
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_an_accepted_invitation_cannot_be_revoked(owner_client, client, workspace):
    _invite(owner_client, "bea@example.com")
    invitation = Invitation.objects.get(workspace=workspace)
    bea = make_user("bea@example.com")
    client.force_login(bea)
    client.post(_link_in(mail.outbox[-1]), follow=True)
    owner_client.force_login(workspace.membership_set.get(role="admin").user)

    response = owner_client.post(
        f"/workspaces/members/invitations/{invitation.pk}/revoke/", follow=True
    )

    assert _messages(response) == [
        "bea@example.com already accepted this invitation; remove the member instead."
    ]
    assert Membership.objects.filter(workspace=workspace, user=bea).exists()


def test_only_admins_invite_and_editors_get_told(client, teammate, workspace):
    client.force_login(teammate)

    response = _invite(client, "x@example.com", "admin")

    assert _messages(response) == ["Only a workspace admin can manage members."]
    assert mail.outbox == []
    assert not Invitation.objects.exists()


def test_a_viewer_cannot_invite(client, workspace):
    viewer = make_user("viewer@example.com")
    Membership.objects.create(workspace=workspace, user=viewer, role="viewer")
    client.force_login(viewer)

    _invite(client, "x@example.com", "viewer")

    assert not Invitation.objects.exists()


def test_an_admin_may_invite_another_admin(owner_client, client, workspace):
    _invite(owner_client, "co@example.com", "admin")
    co = make_user("co@example.com")
    client.force_login(co)

    client.post(_link_in(mail.outbox[-1]))

    assert Membership.objects.get(workspace=workspace, user=co).role == "admin"


def test_a_member_is_not_invited(owner_client, teammate, workspace):
    response = _invite(owner_client, "TEAMMATE@example.com")

    assert _messages(response) == [
        "teammate@example.com is already a member of this workspace."
    ]
    assert not Invitation.objects.exists()


def test_the_audit_log_shows_each_events_detail(owner_client, workspace):
    _invite(owner_client, "bea@example.com", "viewer")
    _invite(owner_client, "bea@example.com", "editor")

    page = owner_client.get("/workspaces/members/").content.decode()

    assert '<div class="muted">role: editor · old_role: viewer</div>' in page
    assert '<div class="muted">role: viewer</div>' in page
