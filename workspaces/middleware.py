from workspaces.actions import create_workspace_for
from workspaces.models import Workspace

SESSION_KEY = "workspace_id"


class CurrentWorkspaceMiddleware:
    """Puts the user's current workspace on `request.workspace` (or None)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.workspace = self._workspace_for(request)
        return self.get_response(request)

    def _workspace_for(self, request) -> Workspace | None:
        if not request.user.is_authenticated:
            return None

        mine = Workspace.objects.filter(membership__user=request.user)
        chosen_id = request.session.get(SESSION_KEY)
        workspace = mine.filter(pk=chosen_id).first() if chosen_id else None
        if workspace is None:
            workspace = mine.order_by("pk").first()
        if workspace is None:
            # Left or removed from their only workspace (someone who joined
            # through an invitation has no other): start them a new one.
            workspace = create_workspace_for(request.user)
        if workspace.pk != chosen_id:
            request.session[SESSION_KEY] = workspace.pk
        return workspace
