"""Share and unshare a dashboard: thin views over klips/sharing.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from klips import sharing
from klips.access import get_dashboard


@login_required
@require_POST
def dashboard_share(request: HttpRequest, dashboard_id: int) -> HttpResponse:
    dashboard = get_dashboard(request, dashboard_id, manage=True)
    try:
        sharing.share_dashboard(
            dashboard,
            request.user,
            request.POST.get("grantee", ""),
            request.POST.get("level", ""),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Shared.")
    return redirect("klips:dashboard_detail", dashboard.pk)


@login_required
@require_POST
def dashboard_unshare(request: HttpRequest, dashboard_id: int) -> HttpResponse:
    dashboard = get_dashboard(request, dashboard_id, manage=True)
    try:
        sharing.unshare_dashboard(
            dashboard, request.user, request.POST.get("grantee", "")
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Share revoked.")
    return redirect("klips:dashboard_detail", dashboard.pk)
