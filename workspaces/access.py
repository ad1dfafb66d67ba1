"""Who may see what in a workspace.

Every view loads objects through an access helper in its own app; those helpers
start from `membership_for`, so a user outside the workspace never gets further
than a 404.
"""

from django.http import Http404

from workspaces.models import Membership, Workspace


def membership_for(user, workspace: Workspace | int) -> Membership:
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    if not user.is_authenticated:
        raise Http404
    membership = (
        Membership.objects.select_related("workspace")
        # Through the pk, so an id out of the database's range is no match
        # (an `_id` lookup would raise an overflow error: a 500).
        .filter(user=user, workspace__pk=workspace_id)
        .first()
    )
    if membership is None:
        raise Http404
    return membership


def current_membership(request) -> Membership:
    """The membership of the workspace the user is working in now."""
    if request.workspace is None:
        raise Http404
    return membership_for(request.user, request.workspace)
