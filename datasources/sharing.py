"""Sharing a data source: "use in Klips" for the whole workspace or a member
(`shared_with_workspace`), "edit" for members one by one (SourceShare rows).
The mechanics are workspaces.sharing's; datasources/access.py reads them.
"""

from datasources.models import DataSource, SourceShare
from workspaces import sharing
from workspaces.sharing import WHOLE_WORKSPACE, shareable_members, shares_of

__all__ = [
    "SOURCES",
    "WHOLE_WORKSPACE",
    "share_source",
    "shareable_members",
    "shares_of",
    "unshare_source",
]

SOURCES = sharing.register(
    sharing.ShareKind(
        noun="source",
        share_model=SourceShare,
        object_field="source",
        workspace_level=SourceShare.Level.USE,
        choose_level="Choose “Use in Klips” or “Edit”.",
        workspace_level_only="The whole workspace can use a source in Klips; give "
        "edit access to members one by one.",
    )
)


def share_source(source: DataSource, actor, grantee: str, level: str) -> None:
    sharing.share(SOURCES, source, actor, grantee, level)


def unshare_source(source: DataSource, actor, grantee: str) -> None:
    sharing.unshare(SOURCES, source, actor, grantee)
