import json
import logging
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from datasources.access import sources_for
from klips import actions, dashboard_filters, dashboard_views
from klips.access import (
    can_edit_dashboard,
    can_manage_dashboard,
    dashboards_for,
    get_dashboard,
    get_klip,
)
from klips.forms import DashboardForm, KlipForm, editor_columns, initial_from_klip
from klips.models import Klip
from klips.query import NEVER_REFRESHED, NO_ROWS, QueryError
from klips.render import EMPTY_MESSAGES
from klips.spec import SpecError, parse_spec
from workspaces.access import current_membership

logger = logging.getLogger(__name__)


def _time_zone(request: HttpRequest) -> str:
    workspace = getattr(request, "workspace", None)
    return (workspace.time_zone if workspace else "") or "UTC"


# Dashboards -------------------------------------------------------------------


@login_required
@require_GET
def dashboard_list(request: HttpRequest) -> HttpResponse:
    membership = current_membership(request)
    if membership.can_edit:
        actions.ensure_first_dashboard(membership)

    dashboards = dashboards_for(request).select_related("owner")
    mine = [d for d in dashboards if d.owner_id == request.user.pk]
    shared = [d for d in dashboards if d.owner_id != request.user.pk]
    ctx = {"mine": mine, "shared": shared, "can_create": membership.can_edit}
    return render(request, "klips/dashboard_list.html", ctx)


@login_required
@require_http_methods(["GET", "POST"])
def dashboard_create(request: HttpRequest) -> HttpResponse:
    membership = current_membership(request)
    if not membership.can_edit:
        raise PermissionDenied("Viewers cannot create dashboards.")
    form = DashboardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        dashboard = actions.create_dashboard(
            membership.workspace,
            request.user,
            form.cleaned_data["name"],
            form.cleaned_data["shared_with_workspace"],
        )
        return redirect("klips:dashboard_detail", dashboard.pk)

    ctx = {"form": form, "title": "New dashboard"}
    return render(request, "klips/dashboard_form.html", ctx)


@login_required
@require_GET
def dashboard_detail(request: HttpRequest, dashboard_id: int) -> HttpResponse:
    dashboard = get_dashboard(request, dashboard_id)
    klips = list(dashboard.klips.all())

    ctx = {
        "dashboard": dashboard,
        "klips": klips,
        "can_edit": can_edit_dashboard(request, dashboard),
        "can_manage": can_manage_dashboard(request, dashboard),
        **dashboard_views.board_context(request, dashboard),
    }
    return render(request, "klips/dashboard_detail.html", ctx)


@login_required
@require_http_methods(["GET", "POST"])
def dashboard_rename(request: HttpRequest, dashboard_id: int) -> HttpResponse:
    dashboard = get_dashboard(request, dashboard_id, edit=True)
    form = DashboardForm(request.POST or None, instance=dashboard)
    if not can_manage_dashboard(request, dashboard):
        # Sharing stays with the owner (and its audit log with klips/sharing.py).
        del form.fields["shared_with_workspace"]
    if request.method == "POST" and form.is_valid():
        form.save()
        return redirect("klips:dashboard_detail", dashboard.pk)

    ctx = {"form": form, "title": "Rename dashboard", "dashboard": dashboard}
    return render(request, "klips/dashboard_form.html", ctx)


@login_required
@require_http_methods(["GET", "POST"])
def dashboard_delete(request: HttpRequest, dashboard_id: int) -> HttpResponse:
    dashboard = get_dashboard(request, dashboard_id, manage=True)
    if request.method == "POST":
        actions.delete_dashboard(dashboard)
        messages.success(request, "Dashboard deleted.")
        return redirect("klips:dashboard_list")

    return render(request, "klips/dashboard_delete.html", {"dashboard": dashboard})


@login_required
@require_POST
def layout_save(request: HttpRequest, dashboard_id: int) -> JsonResponse:
    dashboard = get_dashboard(request, dashboard_id, edit=True)
    try:
        moved = actions.save_layout(dashboard, json.loads(request.body or b"null"))
    except (ValueError, actions.LayoutError) as error:
        return JsonResponse({"error": _message(error)}, status=400)
    return JsonResponse({"saved": moved})


def _message(error: Exception) -> str:
    if isinstance(error, json.JSONDecodeError):
        return "The request body is not JSON."
    return str(error)


# Klip editor ------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def klip_create(request: HttpRequest) -> HttpResponse:
    dashboard = get_dashboard(request, _int_param(request, "dashboard"), edit=True)
    return _klip_editor(request, dashboard, klip=None)


@login_required
@require_http_methods(["GET", "POST"])
def klip_edit(request: HttpRequest, dashboard_id: int, klip_id: int) -> HttpResponse:
    klip = get_klip(request, dashboard_id, klip_id, edit=True)
    return _klip_editor(request, klip.dashboard, klip=klip)


def _int_param(request: HttpRequest, name: str) -> int:
    value = request.GET.get(name, "")
    if not value.isdigit():
        raise Http404
    return int(value)


def _klip_editor(request: HttpRequest, dashboard, klip) -> HttpResponse:
    sources = _editor_sources(request)
    initial = initial_from_klip(klip) if klip else {"name": "New Klip"}
    form = KlipForm(request.POST or None, sources=sources, initial=initial)
    if request.method == "POST" and form.is_valid():
        actions.save_klip(
            dashboard,
            form.cleaned_data["name"],
            form.cleaned_data["kind"],
            form.spec,
            form.chosen_sources,
            klip=klip,
        )
        return redirect("klips:dashboard_detail", dashboard.pk)

    ctx = {
        "form": form,
        "dashboard": dashboard,
        "klip": klip,
        "source_columns": editor_columns(sources),
    }
    return render(request, "klips/klip_form.html", ctx)


def _editor_sources(request: HttpRequest):
    return sources_for(request).select_related(
        "current_version", "owner", "connection", "workspace"
    )


@login_required
@require_POST
def klip_preview(request: HttpRequest) -> JsonResponse:
    """Editor fields (form-encoded) or {"kind", "spec"} JSON → the figure."""
    if request.content_type == "application/json":
        return _preview_spec_json(request)

    sources = _editor_sources(request)
    form = KlipForm(request.POST, sources=sources)
    if not form.is_valid():
        payload = {"error": _form_errors(form)}
        payload.update(_emptiness(sources, request.POST.get("source", "")))
        return JsonResponse(payload, status=422)

    try:
        payload = actions.preview_payload(
            form.cleaned_data["kind"],
            form.spec,
            {source.pk: source for source in form.chosen_sources},
            _time_zone(request),
        )
    except (SpecError, QueryError) as error:
        return JsonResponse({"error": str(error)}, status=422)
    return JsonResponse(payload)


def _emptiness(sources, source_id: str) -> dict:
    """Why the chosen source shows nothing yet, so an unfinished Klip says so."""
    source = sources.filter(pk=source_id).first() if source_id.isdigit() else None
    version = source.current_version if source else None
    if source is None or (version and version.row_count):
        return {}
    reason = NO_ROWS if version else NEVER_REFRESHED
    return {"empty": EMPTY_MESSAGES[reason], "reason": reason}


def _preview_spec_json(request: HttpRequest) -> JsonResponse:
    try:
        body = json.loads(request.body)
        kind = body["kind"] if isinstance(body, dict) else None
        if kind not in Klip.Kind.values:
            raise SpecError("kind must be one of " + ", ".join(Klip.Kind.values))
        spec = parse_spec(body["spec"])
    except (ValueError, KeyError) as error:
        message = (
            str(error)
            if isinstance(error, SpecError)
            else "Expected JSON with kind and spec"
        )
        return JsonResponse({"error": message}, status=422)

    usable = sources_for(request).select_related("current_version", "workspace")
    sources = {s.pk: s for s in usable.filter(pk__in=spec.sources)}
    if len(sources) != len(spec.sources):
        return JsonResponse(
            {"error": "A data source is not available to you."}, status=422
        )
    try:
        payload = actions.preview_payload(kind, spec, sources, _time_zone(request))
    except (SpecError, QueryError) as error:
        return JsonResponse({"error": str(error)}, status=422)
    return JsonResponse(payload)


def _form_errors(form: KlipForm) -> str:
    return "; ".join(
        f"{'' if field == '__all__' else field + ': '}{' '.join(errors)}"
        for field, errors in form.errors.items()
    )


@login_required
@require_POST
def klip_delete(request: HttpRequest, dashboard_id: int, klip_id: int) -> HttpResponse:
    klip = get_klip(request, dashboard_id, klip_id, edit=True)
    actions.delete_klip(klip)
    messages.success(request, "Klip deleted.")
    return redirect("klips:dashboard_detail", dashboard_id)


# Klip data --------------------------------------------------------------------


@login_required
@require_GET
def klip_data(request: HttpRequest, dashboard_id: int, klip_id: int) -> JsonResponse:
    klip = get_klip(request, dashboard_id, klip_id)
    try:
        filters = dashboard_filters.from_query(request.GET)
        payload = actions.klip_payload(klip, _time_zone(request), filters)
    except (SpecError, QueryError, dashboard_filters.FilterError) as error:
        logger.info("klip data refused klip=%s error=%s", klip.pk, error)
        return JsonResponse({"klip_id": klip.pk, "error": str(error)}, status=422)
    return JsonResponse(payload)


@login_required
@require_GET
def klip_csv(request: HttpRequest, dashboard_id: int, klip_id: int) -> HttpResponse:
    klip = get_klip(request, dashboard_id, klip_id)
    try:
        filters = dashboard_filters.from_query(request.GET)
        text = actions.klip_csv(klip, _time_zone(request), filters)
    except (SpecError, QueryError, dashboard_filters.FilterError) as error:
        return HttpResponse(str(error), status=422, content_type="text/plain")

    filename = re.sub(r"[^A-Za-z0-9_-]+", "-", klip.name).strip("-") or "klip"
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response
