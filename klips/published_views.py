"""Publishing a dashboard (owner pages) and showing it at its secret URL."""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from klips import published
from klips.access import get_dashboard
from klips.models import PublishedLink
from klips.query import QueryError
from klips.spec import SpecError

logger = logging.getLogger(__name__)


def _not_indexed(response: HttpResponse) -> HttpResponse:
    """A published page is for whoever holds the link, never for search engines,
    and its URL must not leak to other sites through the Referer header."""
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


# Owner pages --------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def dashboard_publish(request: HttpRequest, dashboard_id: int) -> HttpResponse:
    dashboard = get_dashboard(request, dashboard_id, manage=True)
    if request.method == "POST":
        try:
            link = published.create_link(
                dashboard,
                request.user,
                label=request.POST.get("label", ""),
                password=request.POST.get("password", ""),
                lock_column=request.POST.get("lock_column", ""),
                lock_value=request.POST.get("lock_value", ""),
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"Published link {link.pk} created.")
        return redirect("klips:dashboard_publish", dashboard.pk)

    ctx = {
        "dashboard": dashboard,
        "links": published.links_of(dashboard),
        "client_column": published.CLIENT_COLUMN,
        "site": request.build_absolute_uri("/").rstrip("/"),
    }
    return render(request, "published/manage.html", ctx)


@login_required
@require_POST
def dashboard_publish_clients(request: HttpRequest, dashboard_id: int) -> HttpResponse:
    dashboard = get_dashboard(request, dashboard_id, manage=True)
    try:
        created = published.publish_per_client(
            dashboard, request.user, password=request.POST.get("password", "")
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{len(created)} client link(s) created.")
    return redirect("klips:dashboard_publish", dashboard.pk)


@login_required
@require_POST
def link_revoke(request: HttpRequest, dashboard_id: int, link_id: int) -> HttpResponse:
    dashboard = get_dashboard(request, dashboard_id, manage=True)
    link = published.get_dashboard_link(dashboard, link_id)
    published.revoke_link(link, request.user)
    messages.success(request, "Link revoked; it stops working now.")
    return redirect("klips:dashboard_publish", dashboard.pk)


# Visitors -----------------------------------------------------------------------


NOT_RIGHT = "That password is not right."
TOO_MANY = "Too many wrong passwords; try again in 15 minutes."


def _try_password(request: HttpRequest, link: PublishedLink) -> str:
    """An empty string when the link is now unlocked, else why not."""
    try:
        unlocked = published.unlock(
            link,
            request.session,
            request.POST.get("password", ""),
            request.META.get("REMOTE_ADDR", ""),
        )
    except published.TooManyAttempts:
        return TOO_MANY
    return "" if unlocked else NOT_RIGHT


def _time_zone(link: PublishedLink) -> str:
    return link.dashboard.workspace.time_zone or "UTC"


@never_cache
@require_http_methods(["GET", "POST"])
def published_dashboard(request: HttpRequest, token: str) -> HttpResponse:
    link = published.get_link(token)
    refusal = ""
    if request.method == "POST":
        refusal = _try_password(request, link)
        if not refusal:
            return redirect("published:dashboard", token=token)

    if not published.is_unlocked(link, request.session):
        ctx = {"link": link, "refusal": refusal}
        status = 429 if refusal == TOO_MANY else 200
        return _not_indexed(
            render(request, "published/password.html", ctx, status=status)
        )

    ctx = {
        "link": link,
        "dashboard": link.dashboard,
        "klips": list(link.dashboard.klips.all()),
        "freshness": published.dashboard_freshness(link.dashboard),
    }
    return _not_indexed(render(request, "published/dashboard.html", ctx))


@never_cache
@require_GET
def published_klip_data(request: HttpRequest, token: str, klip_id: int) -> JsonResponse:
    link = published.get_link(token)
    if not published.is_unlocked(link, request.session):
        return _not_indexed(JsonResponse({"error": "Password needed."}, status=403))

    klip = published.get_published_klip(link, klip_id)
    try:
        payload = published.published_payload(link, klip, _time_zone(link))
    except (SpecError, QueryError) as error:
        logger.info("published klip refused link=%s klip=%s", link.pk, klip.pk)
        payload = {"klip_id": klip.pk, "error": str(error)}
        return _not_indexed(JsonResponse(payload, status=422))
    return _not_indexed(JsonResponse(payload))
