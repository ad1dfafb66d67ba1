"""Sharing a data source: with the whole workspace or with one member.

The owner shares; the whole workspace gets the "use" level (the source's
`shared_with_workspace`), a member gets "use" or "edit" (a DashboardShare row).
Every change lands in the workspace's audit log. Access is read per request by
datasources/access.py, so a revoked share is refused on the very next request.
"""

import logging

from django.core.exceptions import ValidationError
from django.db import transaction

from klips.models import Dashboard, DashboardShare
from workspaces.actions import record
from workspaces.models import Membership

logger = logging.getLogger(__name__)

WHOLE_WORKSPACE = "workspace"


def _grantee_membership(dashboard: Dashboard, user_id: int) -> Membership:
    membership = (
        Membership.objects.select_related("user")
        .filter(workspace_id=dashboard.workspace_id, user_id=user_id)
        .first()
    )
    if membership is None:
        raise ValidationError("Share with a member of this workspace.")
    if membership.user_id == dashboard.owner_id:
        raise ValidationError("The owner already has full access.")
    return membership


@transaction.atomic
def share_dashboard(dashboard: Dashboard, actor, grantee: str, level: str) -> None:
    """grantee: WHOLE_WORKSPACE or a member's user id (as text)."""
    if level not in DashboardShare.Level.values:
        raise ValidationError("Choose “View” or “Edit”.")

    if grantee == WHOLE_WORKSPACE:
        if level != DashboardShare.Level.VIEW:
            raise ValidationError(
                "The whole workspace can view a dashboard; give edit access "
                "to members one by one."
            )
        dashboard.shared_with_workspace = True
        dashboard.save(update_fields=["shared_with_workspace"])
        target_label = "whole workspace"
    else:
        if not str(grantee).isdigit():
            raise ValidationError("Choose a member to share with.")
        membership = _grantee_membership(dashboard, int(grantee))
        DashboardShare.objects.update_or_create(
            dashboard=dashboard,
            grantee=membership.user,
            defaults={"level": level, "created_by": actor},
        )
        target_label = membership.user.email

    record(
        dashboard.workspace,
        actor,
        "dashboard.shared",
        f"dashboard {dashboard.pk} “{dashboard.name}”",
        grantee=target_label,
        level=level,
    )
    logger.info(
        "dashboard shared dashboard=%s grantee=%s level=%s",
        dashboard.pk,
        grantee,
        level,
    )


@transaction.atomic
def unshare_dashboard(dashboard: Dashboard, actor, grantee: str) -> None:
    """Revoke the whole-workspace share or one member's share."""
    if grantee == WHOLE_WORKSPACE:
        dashboard.shared_with_workspace = False
        dashboard.save(update_fields=["shared_with_workspace"])
        target_label = "whole workspace"
    else:
        share = DashboardShare.objects.select_related("grantee").filter(
            dashboard=dashboard,
            grantee_id=int(grantee) if str(grantee).isdigit() else None,
        )
        found = share.first()
        if found is None:
            raise ValidationError("That share no longer exists.")
        target_label = found.grantee.email
        found.delete()

    record(
        dashboard.workspace,
        actor,
        "dashboard.unshared",
        f"dashboard {dashboard.pk} “{dashboard.name}”",
        grantee=target_label,
    )
    logger.info("dashboard unshared dashboard=%s grantee=%s", dashboard.pk, grantee)


def shares_of(dashboard: Dashboard) -> list[DashboardShare]:
    return list(dashboard.shares.select_related("grantee").order_by("grantee__email"))


def shareable_members(dashboard: Dashboard) -> list[Membership]:
    """Members who could receive a share: everyone but the owner."""
    return list(
        Membership.objects.filter(workspace_id=dashboard.workspace_id)
        .exclude(user_id=dashboard.owner_id)
        .select_related("user")
        .order_by("user__email")
    )
