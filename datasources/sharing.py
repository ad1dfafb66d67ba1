"""Sharing a data source: with the whole workspace or with one member.

The owner shares; the whole workspace gets the "use" level (the source's
`shared_with_workspace`), a member gets "use" or "edit" (a SourceShare row).
Every change lands in the workspace's audit log. Access is read per request by
datasources/access.py, so a revoked share is refused on the very next request.
"""

import logging

from django.core.exceptions import ValidationError
from django.db import transaction

from datasources.models import DataSource, SourceShare
from workspaces.actions import record
from workspaces.models import Membership

logger = logging.getLogger(__name__)

WHOLE_WORKSPACE = "workspace"


def _grantee_membership(source: DataSource, user_id: int) -> Membership:
    membership = (
        Membership.objects.select_related("user")
        .filter(workspace_id=source.workspace_id, user_id=user_id)
        .first()
    )
    if membership is None:
        raise ValidationError("Share with a member of this workspace.")
    if membership.user_id == source.owner_id:
        raise ValidationError("The owner already has full access.")
    return membership


@transaction.atomic
def share_source(source: DataSource, actor, grantee: str, level: str) -> None:
    """grantee: WHOLE_WORKSPACE or a member's user id (as text)."""
    if level not in SourceShare.Level.values:
        raise ValidationError("Choose “Use in Klips” or “Edit”.")

    if grantee == WHOLE_WORKSPACE:
        if level != SourceShare.Level.USE:
            raise ValidationError(
                "The whole workspace can use a source in Klips; give edit access "
                "to members one by one."
            )
        source.shared_with_workspace = True
        source.save(update_fields=["shared_with_workspace"])
        target_label = "whole workspace"
    else:
        if not str(grantee).isdigit():
            raise ValidationError("Choose a member to share with.")
        membership = _grantee_membership(source, int(grantee))
        SourceShare.objects.update_or_create(
            source=source,
            grantee=membership.user,
            defaults={"level": level, "created_by": actor},
        )
        target_label = membership.user.email

    record(
        source.workspace,
        actor,
        "source.shared",
        f"source {source.pk} “{source.name}”",
        grantee=target_label,
        level=level,
    )
    logger.info(
        "source shared source=%s grantee=%s level=%s", source.pk, grantee, level
    )


@transaction.atomic
def unshare_source(source: DataSource, actor, grantee: str) -> None:
    """Revoke the whole-workspace share or one member's share."""
    if grantee == WHOLE_WORKSPACE:
        source.shared_with_workspace = False
        source.save(update_fields=["shared_with_workspace"])
        target_label = "whole workspace"
    else:
        share = SourceShare.objects.select_related("grantee").filter(
            source=source, grantee_id=int(grantee) if str(grantee).isdigit() else None
        )
        found = share.first()
        if found is None:
            raise ValidationError("That share no longer exists.")
        target_label = found.grantee.email
        found.delete()

    record(
        source.workspace,
        actor,
        "source.unshared",
        f"source {source.pk} “{source.name}”",
        grantee=target_label,
    )
    logger.info("source unshared source=%s grantee=%s", source.pk, grantee)


# TODO: a member who leaves keeps their share rows (access is gated by the
# membership, so they reach nothing); they come back if the member rejoins.
# Deleting them needs a hook in workspaces.actions.remove_member, which may not
# import this app.


def shares_of(source: DataSource) -> list[SourceShare]:
    return list(source.shares.select_related("grantee").order_by("grantee__email"))


def shareable_members(source: DataSource) -> list[Membership]:
    """Members who could receive a share: everyone but the owner."""
    return list(
        Membership.objects.filter(workspace_id=source.workspace_id)
        .exclude(user_id=source.owner_id)
        .select_related("user")
        .order_by("user__email")
    )
