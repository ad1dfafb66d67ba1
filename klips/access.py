"""Which dashboards and Klips a request may see, change or manage.

A dashboard is visible to its owner, to every member when it is shared with the
workspace (`shared_with_workspace`, at the "view" level), and to members it is
shared with one by one (DashboardShare, "view" or "edit"). Changing it (its
Klips, name and layout) needs the owner or an edit share, and a role that is
not viewer; deleting, sharing and publishing it stay with the owner. A Klip is
always loaded through its dashboard, so a Klip id paired with another
dashboard's id is a 404. A Klip shows a source's data only while the
dashboard's owner may use that source (klips.actions.klip_sources).
"""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from klips.models import Dashboard, DashboardShare, Klip
from workspaces.access import current_membership
from workspaces.models import Membership


def _shared_with(user, level: str | None = None) -> Exists:
    shares = DashboardShare.objects.filter(dashboard=OuterRef("pk"), grantee=user)
    if level is not None:
        shares = shares.filter(level=level)
    return Exists(shares)


def visible_dashboards(membership: Membership) -> QuerySet[Dashboard]:
    user = membership.user
    return Dashboard.objects.filter(workspace=membership.workspace).filter(
        Q(owner=user) | Q(shared_with_workspace=True) | _shared_with(user)
    )


def editable_dashboards(membership: Membership) -> QuerySet[Dashboard]:
    if not membership.can_edit:
        return Dashboard.objects.none()
    user = membership.user
    return Dashboard.objects.filter(workspace=membership.workspace).filter(
        Q(owner=user) | _shared_with(user, DashboardShare.Level.EDIT)
    )


def managed_dashboards(membership: Membership) -> QuerySet[Dashboard]:
    if not membership.can_edit:
        return Dashboard.objects.none()
    return Dashboard.objects.filter(
        workspace=membership.workspace, owner=membership.user
    )


def dashboards_for(request) -> QuerySet[Dashboard]:
    """Dashboards of the current workspace the user owns or that are shared."""
    return visible_dashboards(current_membership(request))


def can_create(request) -> bool:
    """Viewers look at dashboards; admins and editors make their own."""
    return current_membership(request).can_edit


def get_dashboard(
    request, pk: int, edit: bool = False, manage: bool = False
) -> Dashboard:
    """The dashboard if visible (edit: changeable; manage: deletable, shareable
    and publishable by its owner), else 404."""
    membership = current_membership(request)
    if manage:
        allowed = managed_dashboards(membership)
    elif edit:
        allowed = editable_dashboards(membership)
    else:
        allowed = visible_dashboards(membership)
    dashboard = allowed.filter(pk=pk).first()
    if dashboard is None:
        raise Http404
    return dashboard


def can_edit_dashboard(request, dashboard: Dashboard) -> bool:
    membership = current_membership(request)
    return editable_dashboards(membership).filter(pk=dashboard.pk).exists()


def can_manage_dashboard(request, dashboard: Dashboard) -> bool:
    membership = current_membership(request)
    return managed_dashboards(membership).filter(pk=dashboard.pk).exists()


def get_klip(request, dashboard_id: int, klip_id: int, edit: bool = False) -> Klip:
    """The Klip if it is on that dashboard and the dashboard is visible, else 404."""
    dashboard = get_dashboard(request, dashboard_id, edit=edit)
    klip = Klip.objects.filter(dashboard=dashboard, pk=klip_id).first()
    if klip is None:
        raise Http404
    klip.dashboard = dashboard
    return klip
