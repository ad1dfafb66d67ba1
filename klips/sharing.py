"""Sharing a dashboard: "view" for the whole workspace or a member
(`shared_with_workspace`), "edit" for members one by one (DashboardShare rows).
The mechanics are workspaces.sharing's; klips/access.py reads them.
"""

from klips.models import Dashboard, DashboardShare
from workspaces import sharing
from workspaces.sharing import WHOLE_WORKSPACE, shareable_members, shares_of

__all__ = [
    "DASHBOARDS",
    "WHOLE_WORKSPACE",
    "share_dashboard",
    "shareable_members",
    "shares_of",
    "unshare_dashboard",
]

DASHBOARDS = sharing.register(
    sharing.ShareKind(
        noun="dashboard",
        share_model=DashboardShare,
        object_field="dashboard",
        workspace_level=DashboardShare.Level.VIEW,
        choose_level="Choose “View” or “Edit”.",
        workspace_level_only="The whole workspace can view a dashboard; give edit "
        "access to members one by one.",
    )
)


def share_dashboard(dashboard: Dashboard, actor, grantee: str, level: str) -> None:
    sharing.share(DASHBOARDS, dashboard, actor, grantee, level)


def unshare_dashboard(dashboard: Dashboard, actor, grantee: str) -> None:
    sharing.unshare(DASHBOARDS, dashboard, actor, grantee)
