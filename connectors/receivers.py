"""What happens to connections when their owner leaves a workspace."""

import logging

from django.dispatch import receiver

from connectors.actions import delete_connection
from connectors.models import Connection
from workspaces.events import member_removed

logger = logging.getLogger(__name__)


@receiver(member_removed)
def forget_the_leavers_connections(sender, workspace, user, actor, **kwargs) -> None:
    """A member who is gone can neither see nor delete their connections there,
    so their Harvest tokens must not go on being used for the team: the tokens
    are forgotten, and the data sources on them keep their data but stop
    refreshing until someone gives them a connection (as after a delete)."""
    connections = Connection.objects.filter(workspace=workspace, owner=user)
    for connection in connections:
        delete_connection(
            connection, actor=actor, reason="its owner is no longer a member"
        )
    logger.info(
        "leaver's connections deleted workspace=%s user=%s count=%s",
        workspace.pk,
        user.pk,
        len(connections),
    )
