"""Which data sources a request may use, change or manage.

A source is visible to its owner, to every member when it is shared with the
workspace (`shared_with_workspace`, at the "use" level), and to members it is
shared with one by one (SourceShare, "use" or "edit"). Changing it needs the
owner or an edit share, and a role that is not viewer; deleting it and sharing
it stay with the owner. Anything else answers 404, as if it did not exist.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from datasources.models import DataSource, SourceShare
from workspaces.access import current_membership
from workspaces.models import Membership


def _shared_with(user, level: str | None = None) -> Exists:
    shares = SourceShare.objects.filter(source=OuterRef("pk"), grantee=user)
    if level is not None:
        shares = shares.filter(level=level)
    return Exists(shares)


def visible_sources(membership: Membership) -> QuerySet[DataSource]:
    """Sources of the membership's workspace its user may see and use in Klips."""
    user = membership.user
    return DataSource.objects.filter(workspace=membership.workspace).filter(
        Q(owner=user) | Q(shared_with_workspace=True) | _shared_with(user)
    )


def editable_sources(membership: Membership) -> QuerySet[DataSource]:
    """Sources whose settings and model the user may change (never a viewer)."""
    if not membership.can_edit:
        return DataSource.objects.none()
    user = membership.user
    return DataSource.objects.filter(workspace=membership.workspace).filter(
        Q(owner=user) | _shared_with(user, SourceShare.Level.EDIT)
    )


def managed_sources(membership: Membership) -> QuerySet[DataSource]:
    """Sources the user may delete and share: their own, while not a viewer."""
    if not membership.can_edit:
        return DataSource.objects.none()
    return DataSource.objects.filter(
        workspace=membership.workspace, owner=membership.user
    )


def sources_for(request) -> QuerySet[DataSource]:
    """Sources in the current workspace the user owns or that are shared."""
    return visible_sources(current_membership(request))


def get_source(
    request, pk: int, edit: bool = False, manage: bool = False
) -> DataSource:
    """The source if the user may see it (edit: change it; manage: delete or
    share it), else 404."""
    membership = current_membership(request)
    if manage:
        allowed = managed_sources(membership)
    elif edit:
        allowed = editable_sources(membership)
    else:
        allowed = visible_sources(membership)
    source = (
        allowed.select_related("connection", "current_version").filter(pk=pk).first()
    )
    if source is None:
        raise Http404
    return source


def can_edit_source(request, source: DataSource) -> bool:
    return editable_sources(current_membership(request)).filter(pk=source.pk).exists()


def can_manage_source(request, source: DataSource) -> bool:
    return managed_sources(current_membership(request)).filter(pk=source.pk).exists()
