import logging

from django.db import transaction

from workspaces.models import Membership, Workspace

logger = logging.getLogger(__name__)


@transaction.atomic
def create_workspace_for(user, name: str = "") -> Workspace:
    label = user.get_full_name() or user.email or user.get_username()
    workspace = Workspace.objects.create(name=name or f"{label}'s workspace")
    Membership.objects.create(
        workspace=workspace, user=user, role=Membership.Role.ADMIN
    )
    logger.info("workspace created workspace=%s user=%s", workspace.pk, user.pk)
    return workspace
