"""Which dashboards and Klips a request may see or change.

A dashboard is visible to its owner and, when shared with the workspace, to the
workspace's members; only its owner changes it, and only while their role in the
workspace is not viewer. A Klip is always loaded through
its dashboard, so a Klip id paired with another dashboard's id is a 404.
"""

from django.db.models import Q, QuerySet
from django.http import Http404

from klips.models import Dashboard, Klip
from workspaces.access import current_membership


def dashboards_for(request) -> QuerySet[Dashboard]:
    """Dashboards of the current workspace the user owns or that are shared."""
    membership = current_membership(request)
    return Dashboard.objects.filter(workspace=membership.workspace).filter(
        Q(owner=request.user) | Q(shared_with_workspace=True)
    )


def can_create(request) -> bool:
    """Viewers look at dashboards; admins and editors make their own."""
    return current_membership(request).can_edit


def get_dashboard(request, pk: int, edit: bool = False) -> Dashboard:
    """The dashboard if visible (edit: only to its owner, while not a viewer)."""
    visible = dashboards_for(request)
    if edit:
        if not can_create(request):
            raise Http404
        visible = visible.filter(owner=request.user)
    dashboard = visible.filter(pk=pk).first()
    if dashboard is None:
        raise Http404
    return dashboard


def get_klip(request, dashboard_id: int, klip_id: int, edit: bool = False) -> Klip:
    """The Klip if it is on that dashboard and the dashboard is visible, else 404."""
    dashboard = get_dashboard(request, dashboard_id, edit=edit)
    klip = Klip.objects.filter(dashboard=dashboard, pk=klip_id).first()
    if klip is None:
        raise Http404
    klip.dashboard = dashboard
    return klip
