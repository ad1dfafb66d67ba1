from workspaces.models import Workspace


def current_workspace(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"workspace": None, "my_workspaces": []}
    return {
        "workspace": getattr(request, "workspace", None),
        "my_workspaces": Workspace.objects.filter(membership__user=user).order_by(
            "name"
        ),
    }
