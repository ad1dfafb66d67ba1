"""A dashboard's filter bar, TV mode and the version poll that keeps it current."""

import logging
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from datasources.models import DataSource
from klips import actions
from klips.access import get_dashboard
from klips.dashboard_filters import (
    DashboardFilters,
    FilterError,
    choices,
    from_query,
    typed_values,
)
from klips.models import Dashboard

logger = logging.getLogger(__name__)

# How often an open dashboard asks whether its sources have new data.
POLL_SECONDS = 30
# TV mode's "one Klip at a time": seconds per Klip.
CYCLE_SECONDS = 15


def board_context(request: HttpRequest, dashboard: Dashboard) -> dict:
    """What the dashboard page and TV mode share: filters, poll and TV links."""
    try:
        filters, filter_error = from_query(request.GET), ""
    except FilterError as error:
        filters, filter_error = DashboardFilters(), str(error)
    shown = typed_values(request.GET) if filter_error else filters.query()
    query = urlencode(filters.query())
    suffix = f"?{query}" if query else ""
    return {
        "filters": filters,
        "filter_error": filter_error,
        "filter_values": shown,
        "filter_query": suffix,
        "versions_url": reverse("klips:dashboard_versions", args=[dashboard.pk]),
        "tv_url": reverse("klips:dashboard_tv", args=[dashboard.pk]) + suffix,
        "tv_cycle_url": reverse("klips:dashboard_tv", args=[dashboard.pk])
        + "?"
        + urlencode({**filters.query(), "cycle": CYCLE_SECONDS}),
        "poll_seconds": POLL_SECONDS,
        "filter_choices": choices(_dashboard_sources(dashboard)),
    }


def _dashboard_sources(dashboard: Dashboard) -> list[DataSource]:
    """The sources the dashboard's Klips read (in its workspace only)."""
    return list(
        DataSource.objects.filter(
            workspace_id=dashboard.workspace_id, klips__dashboard=dashboard
        )
        .distinct()
        .select_related("current_version")
    )


@login_required
@require_GET
def dashboard_tv(request: HttpRequest, dashboard_id: int) -> HttpResponse:
    """Full screen, no chrome, read-only grid; keeps itself current by polling."""
    dashboard = get_dashboard(request, dashboard_id)
    ctx = {
        "dashboard": dashboard,
        "klips": list(dashboard.klips.all()),
        "can_edit": False,
        **board_context(request, dashboard),
    }
    return render(request, "klips/dashboard_tv.html", ctx)


@login_required
@require_GET
def dashboard_versions(request: HttpRequest, dashboard_id: int) -> JsonResponse:
    """Each Klip's data version key: cheap to poll, no query of any data file."""
    dashboard = get_dashboard(request, dashboard_id)
    return JsonResponse({"klips": actions.dashboard_versions(dashboard)})
