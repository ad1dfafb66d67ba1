"""{% dashboard_share_panel dashboard %}: the Share panel on a dashboard (owner only)."""

from django import template
from django.urls import reverse

from klips import sharing
from klips.access import can_manage_dashboard
from klips.models import Dashboard, DashboardShare

register = template.Library()


@register.inclusion_tag("sharing/_share_panel.html", takes_context=True)
def dashboard_share_panel(context, dashboard: Dashboard) -> dict:
    request = context["request"]
    if not can_manage_dashboard(request, dashboard):
        return {"show": False}
    return {
        "show": True,
        "csrf_token": context.get("csrf_token"),
        "what": "dashboard",
        "share_url": reverse("klips:dashboard_share", args=[dashboard.pk]),
        "unshare_url": reverse("klips:dashboard_unshare", args=[dashboard.pk]),
        "publish_url": reverse("klips:dashboard_publish", args=[dashboard.pk]),
        "whole_workspace": dashboard.shared_with_workspace,
        "whole_level": DashboardShare.Level.VIEW.label,
        "whole_value": sharing.WHOLE_WORKSPACE,
        "levels": DashboardShare.Level.choices,
        "members": sharing.shareable_members(dashboard),
        "shares": sharing.shares_of(dashboard),
        "note": "Viewers of a dashboard see its Klips' results, never its data "
        "sources' settings, Query URLs or connections. Viewers never edit.",
    }
