"""Which data sources a request may use: its own, or ones shared with its workspace."""

from django.db.models import Q, QuerySet
from django.http import Http404

from datasources.models import DataSource
from workspaces.access import current_membership


def sources_for(request) -> QuerySet[DataSource]:
    """Sources in the current workspace the user owns or that are shared."""
    membership = current_membership(request)
    return DataSource.objects.filter(workspace=membership.workspace).filter(
        Q(owner=request.user) | Q(shared_with_workspace=True)
    )


def get_source(request, pk: int, edit: bool = False) -> DataSource:
    """The source if the user may see it (edit: only its owner), else 404."""
    visible = sources_for(request).select_related("connection", "current_version")
    if edit:
        visible = visible.filter(owner=request.user)
    source = visible.filter(pk=pk).first()
    if source is None:
        raise Http404
    return source
