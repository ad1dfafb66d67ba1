"""Every write to workspaces, memberships and invitations goes through here."""

import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from workspaces.events import member_removed
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


def rename_workspace(membership: Membership, name: str) -> None:
    _require_admin(membership)
    workspace = membership.workspace
    old_name = workspace.name
    workspace.name = name
    workspace.save(update_fields=["name"])
    record(workspace, membership.user, "workspace.renamed", name, old_name=old_name)
    logger.info(
        "workspace renamed workspace=%s by=%s", workspace.pk, membership.user_id
    )


def set_calendar(membership: Membership, time_zone: str, week_start: int) -> None:
    """The zone relative dates and schedules use, and the day Klips' weeks start."""
    _require_admin(membership)
    workspace = membership.workspace
    workspace.time_zone = time_zone
    workspace.week_start = week_start
    workspace.save(update_fields=["time_zone", "week_start"])
    record(
        workspace,
        membership.user,
        "workspace.calendar",
        workspace.name,
        time_zone=time_zone or "the connecting Harvest user's",
        week_start=workspace.get_week_start_display(),
    )
    logger.info(
        "workspace calendar set workspace=%s week_start=%s by=%s",
        workspace.pk,
        week_start,
        membership.user_id,
    )


def _require_admin(membership: Membership) -> None:
    if membership.role != Membership.Role.ADMIN:
        raise PermissionDenied("Only a workspace admin can manage members.")


@dataclass(frozen=True)
class InviteOutcome:
    invitation: Invitation
    resent: bool  # the address had a pending invitation, which went out again
    old_role: str  # the pending invitation's role before; "" for a new one


def invite_member(membership: Membership, email: str, role: str) -> InviteOutcome:
    """E-mail an invitation link; the admin's membership acts.

    A second invitation to an address that has one pending re-sends that same
    link (its role updated), so the address never holds two live links.
    """
    _require_admin(membership)
    workspace = membership.workspace
    email = email.strip().lower()
    if workspace.members.filter(email__iexact=email).exists():
        raise ValidationError(f"{email} is already a member of this workspace.")

    try:
        with transaction.atomic():
            outcome = _create_or_refresh_invitation(membership, email, role)
    except IntegrityError:
        # Another request made the pending one between our read and insert
        # (a double submit): refresh that one instead.
        with transaction.atomic():
            outcome = _create_or_refresh_invitation(membership, email, role)

    _send_invitation(outcome.invitation, membership.user)
    if outcome.resent:
        record(
            workspace,
            membership.user,
            "member.invitation_resent",
            email,
            role=role,
            old_role=outcome.old_role,
        )
    else:
        record(workspace, membership.user, "member.invited", email, role=role)
    logger.info(
        "invitation sent workspace=%s invitation=%s resent=%s",
        workspace.pk,
        outcome.invitation.pk,
        outcome.resent,
    )
    return outcome


def _create_or_refresh_invitation(
    membership: Membership, email: str, role: str
) -> InviteOutcome:
    pending = (
        Invitation.objects.select_for_update()
        .filter(workspace=membership.workspace, email=email)
        .filter(accepted_at=None, revoked_at=None)
        .first()
    )
    if pending is None:
        invitation = Invitation.objects.create(
            workspace=membership.workspace,
            email=email,
            role=role,
            token=secrets.token_urlsafe(32),
            invited_by=membership.user,
        )
        return InviteOutcome(invitation, resent=False, old_role="")

    old_role = pending.role
    pending.role = role
    pending.invited_by = membership.user
    pending.sent_at = timezone.now()
    pending.save(update_fields=["role", "invited_by", "sent_at"])
    return InviteOutcome(pending, resent=True, old_role=old_role)


def invitation_link(invitation: Invitation) -> str:
    return f"{settings.SITE_URL}/workspaces/invitations/{invitation.token}/"


def _send_invitation(invitation: Invitation, sender) -> None:
    workspace = invitation.workspace
    send_mail(
        subject=f"You are invited to {workspace.name} on HarvestDash",
        message=(
            f"{sender.email} invited you to the workspace "
            f"“{workspace.name}” as {invitation.get_role_display().lower()}.\n\n"
            f"Accept: {invitation_link(invitation)}\n"
        ),
        from_email=None,
        recipient_list=[invitation.email],
    )


@transaction.atomic
def revoke_invitation(membership: Membership, invitation_id: int) -> Invitation:
    """Withdraw a pending invitation; its link then says so instead of joining."""
    invitation = (
        Invitation.objects.select_for_update()
        .filter(pk=invitation_id, workspace=membership.workspace)
        .first()
    )
    if invitation is None:
        raise Http404
    _require_admin(membership)
    if invitation.accepted_at is not None:
        raise ValidationError(
            f"{invitation.email} already accepted this invitation; remove the "
            "member instead."
        )
    if invitation.revoked_at is not None:
        raise ValidationError(f"The invitation of {invitation.email} was revoked.")

    invitation.revoked_at = timezone.now()
    invitation.revoked_by = membership.user
    invitation.save(update_fields=["revoked_at", "revoked_by"])
    record(
        invitation.workspace,
        membership.user,
        "member.invitation_revoked",
        invitation.email,
        role=invitation.role,
    )
    logger.info(
        "invitation revoked workspace=%s invitation=%s by=%s",
        invitation.workspace_id,
        invitation.pk,
        membership.user_id,
    )
    return invitation


def refusal_of(invitation: Invitation) -> str:
    """Why the link cannot be used any more, or "" while it can."""
    if invitation.revoked_at is not None:
        return (
            f"This invitation to {invitation.workspace.name} was withdrawn by the "
            "workspace's admins. Ask them to invite you again if you still need "
            "access."
        )
    if invitation.accepted_at is not None:
        return "This invitation has already been used."
    return ""


@transaction.atomic
def accept_invitation(invitation: Invitation, user) -> Membership:
    """Join the workspace; the link only works for the address it was sent to."""
    # Re-read under a lock: a revoke or another accept may have just landed.
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    refusal = refusal_of(invitation)
    if refusal:
        raise ValidationError(refusal)
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
    logger.info(
        "invitation accepted workspace=%s invitation=%s user=%s",
        invitation.workspace_id,
        invitation.pk,
        user.pk,
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


def _heir_of(target: Membership, remover: Membership):
    """Who takes over a leaving member's sources and dashboards: the admin who
    removes them, or the longest-standing other admin when they leave."""
    if remover.user_id != target.user_id:
        return remover.user
    return (
        Membership.objects.filter(
            workspace=target.workspace, role=Membership.Role.ADMIN
        )
        .exclude(user_id=target.user_id)
        .select_related("user")
        .order_by("pk")
        .first()
        .user
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
    from workspaces.sharing import drop_member_shares, hand_over_owned

    drop_member_shares(target.workspace, target.user)
    heir = _heir_of(target, membership)
    hand_over_owned(target.workspace, target.user, heir, membership.user)
    target.delete()
    record(target.workspace, membership.user, "member.removed", target.user.email)
    member_removed.send(
        sender=Membership,
        workspace=target.workspace,
        user=target.user,
        actor=membership.user,
    )
    logger.info(
        "member removed workspace=%s user=%s by=%s",
        target.workspace_id,
        target.user_id,
        membership.user_id,
    )
