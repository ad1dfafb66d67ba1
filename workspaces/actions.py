"""Every write to workspaces, memberships and invitations goes through here."""

import logging
import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from workspaces.models import AuditEvent, Invitation, Membership, Workspace

logger = logging.getLogger(__name__)


def record(workspace: Workspace, actor, action: str, target: str, **detail) -> None:
    """Add a line to the workspace's audit log."""
    AuditEvent.objects.create(
        workspace=workspace,
        actor=actor,
        action=action,
        target=target[:255],
        detail=detail,
    )


@transaction.atomic
def create_workspace_for(user, name: str = "") -> Workspace:
    label = user.get_full_name() or user.email or user.get_username()
    workspace = Workspace.objects.create(name=name or f"{label}'s workspace")
    Membership.objects.create(
        workspace=workspace, user=user, role=Membership.Role.ADMIN
    )
    logger.info("workspace created workspace=%s user=%s", workspace.pk, user.pk)
    return workspace


def _require_admin(membership: Membership) -> None:
    if membership.role != Membership.Role.ADMIN:
        raise PermissionDenied("Only a workspace admin can manage members.")


def invite_member(membership: Membership, email: str, role: str) -> Invitation:
    """Create an invitation and e-mail its link; the admin's membership acts."""
    _require_admin(membership)
    workspace = membership.workspace
    email = email.strip().lower()
    if workspace.members.filter(email__iexact=email).exists():
        raise ValidationError(f"{email} is already a member of this workspace.")

    invitation = Invitation.objects.create(
        workspace=workspace,
        email=email,
        role=role,
        token=secrets.token_urlsafe(32),
        invited_by=membership.user,
    )
    link = f"{settings.SITE_URL}/workspaces/invitations/{invitation.token}/"
    send_mail(
        subject=f"You are invited to {workspace.name} on HarvestDash",
        message=(
            f"{membership.user.email} invited you to the workspace "
            f"“{workspace.name}” as {invitation.get_role_display().lower()}.\n\n"
            f"Accept: {link}\n"
        ),
        from_email=None,
        recipient_list=[email],
    )
    record(workspace, membership.user, "member.invited", email, role=role)
    logger.info(
        "invitation sent workspace=%s invitation=%s", workspace.pk, invitation.pk
    )
    return invitation


@transaction.atomic
def accept_invitation(invitation: Invitation, user) -> Membership:
    """Join the workspace; the link only works for the address it was sent to."""
    if invitation.accepted_at is not None:
        raise ValidationError("This invitation has already been used.")
    if (user.email or "").lower() != invitation.email:
        raise ValidationError(
            f"This invitation was sent to {invitation.email}; sign in with that "
            "address to accept it."
        )

    membership, _ = Membership.objects.get_or_create(
        workspace=invitation.workspace, user=user, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    record(
        invitation.workspace, user, "member.joined", user.email, role=membership.role
    )
    return membership


def _admins_left_after(workspace: Workspace, leaving_user_id: int) -> int:
    return (
        Membership.objects.filter(workspace=workspace, role=Membership.Role.ADMIN)
        .exclude(user_id=leaving_user_id)
        .count()
    )


@transaction.atomic
def change_role(membership: Membership, target: Membership, role: str) -> None:
    _require_admin(membership)
    demoting_admin = (
        target.role == Membership.Role.ADMIN and role != Membership.Role.ADMIN
    )
    if demoting_admin and _admins_left_after(target.workspace, target.user_id) == 0:
        raise ValidationError("A workspace needs at least one admin.")

    target.role = role
    target.save(update_fields=["role"])
    record(
        target.workspace, membership.user, "member.role", target.user.email, role=role
    )


@transaction.atomic
def remove_member(membership: Membership, target: Membership) -> None:
    """An admin removes someone, or a member leaves (target is themselves)."""
    if target.user_id != membership.user_id:
        _require_admin(membership)
    if _admins_left_after(target.workspace, target.user_id) == 0:
        raise ValidationError(
            "The last admin cannot leave; make someone else admin first."
        )

    # Imported here: workspaces.sharing records through this module.
    from workspaces.sharing import drop_member_shares

    drop_member_shares(target.workspace, target.user)
    target.delete()
    record(target.workspace, membership.user, "member.removed", target.user.email)
    logger.info(
        "member removed workspace=%s user=%s by=%s",
        target.workspace_id,
        target.user_id,
        membership.user_id,
    )
