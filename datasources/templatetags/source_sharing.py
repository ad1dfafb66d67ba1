"""{% source_share_panel source %}: the Share panel on a source's page (owner only)."""

from django import template
from django.urls import reverse

from datasources import sharing
from datasources.access import can_manage_source
from datasources.models import DataSource, SourceShare

register = template.Library()


@register.inclusion_tag("sharing/_share_panel.html", takes_context=True)
def source_share_panel(context, source: DataSource) -> dict:
    request = context["request"]
    if not can_manage_source(request, source):
        return {"show": False}
    return {
        "show": True,
        "csrf_token": context.get("csrf_token"),
        "what": "data source",
        "share_url": reverse("datasources:source_share", args=[source.pk]),
        "unshare_url": reverse("datasources:source_unshare", args=[source.pk]),
        "whole_workspace": source.shared_with_workspace,
        "whole_level": SourceShare.Level.USE.label,
        "whole_value": sharing.WHOLE_WORKSPACE,
        "levels": SourceShare.Level.choices,
        "members": sharing.shareable_members(source),
        "shares": sharing.shares_of(source),
        "note": "Use in Klips lets them chart its data and see its rows; Edit also "
        "lets editors change its name, schedule and columns. Viewers never edit.",
    }
