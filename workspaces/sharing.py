"""Sharing an object (a data source, a dashboard) with its workspace or a member.

Each shareable kind describes itself once with a `ShareKind` and registers it
here; the owner shares, the whole workspace gets the kind's lower level (the
object's `shared_with_workspace`), a member gets any level (a share row). Every
change lands in the workspace's audit log. The apps' access helpers read shares
on every request, so a revoked share is refused on the very next one.
"""

import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models, transaction

from workspaces.actions import record
from workspaces.models import Membership, Workspace

logger = logging.getLogger(__name__)

WHOLE_WORKSPACE = "workspace"


@dataclass(frozen=True)
class ShareKind:
    noun: str  # "source", "dashboard": audit actions and log lines
    share_model: type[models.Model]  # one row per member grant
    object_field: str  # the share model's foreign key to the shared object
    workspace_level: str  # the only level the whole workspace can get
    choose_level: str  # the message for an unknown level
    workspace_level_only: str  # the message for a higher whole-workspace level


_KINDS: list[ShareKind] = []


def register(kind: ShareKind) -> ShareKind:
    """Called by each app at start-up, so a leaving member's shares can go."""
    if kind not in _KINDS:
        _KINDS.append(kind)
    return kind


def _label(kind: ShareKind, shared) -> str:
    return f"{kind.noun} {shared.pk} “{shared.name}”"


def _grantee_membership(shared, user_id: int) -> Membership:
    membership = (
        Membership.objects.select_related("user")
        .filter(workspace_id=shared.workspace_id, user__pk=user_id)
        .first()
    )
    if membership is None:
        raise ValidationError("Share with a member of this workspace.")
    if membership.user_id == shared.owner_id:
        raise ValidationError("The owner already has full access.")
    return membership


@transaction.atomic
def share(kind: ShareKind, shared, actor, grantee: str, level: str) -> None:
    """grantee: WHOLE_WORKSPACE or a member's user id (as text)."""
    if level not in kind.share_model.Level.values:
        raise ValidationError(kind.choose_level)

    if grantee == WHOLE_WORKSPACE:
        if level != kind.workspace_level:
            raise ValidationError(kind.workspace_level_only)
        shared.shared_with_workspace = True
        shared.save(update_fields=["shared_with_workspace"])
        target_label = "whole workspace"
    else:
        if not str(grantee).isdigit():
            raise ValidationError("Choose a member to share with.")
        membership = _grantee_membership(shared, int(grantee))
        kind.share_model.objects.update_or_create(
            **{kind.object_field: shared, "grantee": membership.user},
            defaults={"level": level, "created_by": actor},
        )
        target_label = membership.user.email

    record(
        shared.workspace,
        actor,
        f"{kind.noun}.shared",
        _label(kind, shared),
        grantee=target_label,
        level=level,
    )
    logger.info(
        "%s shared id=%s grantee=%s level=%s", kind.noun, shared.pk, grantee, level
    )


@transaction.atomic
def unshare(kind: ShareKind, shared, actor, grantee: str) -> None:
    """Revoke the whole-workspace share or one member's share."""
    if grantee == WHOLE_WORKSPACE:
        shared.shared_with_workspace = False
        shared.save(update_fields=["shared_with_workspace"])
        target_label = "whole workspace"
    else:
        grantee_id = int(grantee) if str(grantee).isdigit() else None
        found = (
            kind.share_model.objects.select_related("grantee")
            .filter(**{kind.object_field: shared, "grantee__pk": grantee_id})
            .first()
        )
        if found is None:
            raise ValidationError("That share no longer exists.")
        target_label = found.grantee.email
        found.delete()

    record(
        shared.workspace,
        actor,
        f"{kind.noun}.unshared",
        _label(kind, shared),
        grantee=target_label,
    )
    logger.info("%s unshared id=%s grantee=%s", kind.noun, shared.pk, grantee)


def hand_over_owned(workspace: Workspace, leaver, heir, actor) -> int:
    """Everything shareable a leaving member owned in a workspace goes to `heir`,
    so nothing stays there that nobody may edit, share or delete. Shares given
    on it stay; the heir's own share on it is dropped (the owner needs none)."""
    handed = 0
    for kind in _KINDS:
        owned_model = kind.share_model._meta.get_field(kind.object_field).related_model
        for owned in owned_model.objects.filter(workspace=workspace, owner=leaver):
            owned.owner = heir
            owned.save(update_fields=["owner"])
            kind.share_model.objects.filter(
                **{kind.object_field: owned, "grantee": heir}
            ).delete()
            record(
                workspace,
                actor,
                f"{kind.noun}.handed_over",
                _label(kind, owned),
                owner=heir.email,
                previous_owner=leaver.email,
            )
            handed += 1
    logger.info(
        "leaver's objects handed over workspace=%s user=%s heir=%s count=%s",
        workspace.pk,
        leaver.pk,
        heir.pk,
        handed,
    )
    return handed


def shares_of(shared) -> list:
    return list(shared.shares.select_related("grantee").order_by("grantee__email"))


def shareable_members(shared) -> list[Membership]:
    """Members who could receive a share: everyone but the owner."""
    return list(
        Membership.objects.filter(workspace_id=shared.workspace_id)
        .exclude(user_id=shared.owner_id)
        .select_related("user")
        .order_by("user__email")
    )


def drop_member_shares(workspace: Workspace, user) -> int:
    """Delete every share a member holds in a workspace they are leaving."""
    dropped = 0
    for kind in _KINDS:
        rows = kind.share_model.objects.filter(
            **{f"{kind.object_field}__workspace": workspace, "grantee": user}
        )
        dropped += rows.delete()[0]
    logger.info(
        "member shares dropped workspace=%s user=%s count=%s",
        workspace.pk,
        user.pk,
        dropped,
    )
    return dropped
