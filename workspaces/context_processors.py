from django.db.models import F

from workspaces.models import Workspace


def current_workspace(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"workspace": None, "my_workspaces": []}
    # The role shows in the switcher: two teams are often named alike.
    mine = Workspace.objects.filter(membership__user=user).annotate(
        my_role=F("membership__role")
    )
    return {
        "workspace": getattr(request, "workspace", None),
        "my_workspaces": mine.order_by("name", "pk"),
    }
