"""Connection pages: thin views over connectors.actions."""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from connectors import actions
from connectors.access import connections_for, get_connection
from connectors.forms import PersonalTokenForm, RenameForm
from connectors.harvest.errors import HarvestError, TokenInvalid
from workspaces.access import current_membership

logger = logging.getLogger(__name__)

LIST = "connectors:connection_list"


@login_required
@require_GET
def connection_list(request: HttpRequest) -> HttpResponse:
    rows = [
        (connection, actions.connection_health(connection))
        for connection in connections_for(request).prefetch_related("data_sources")
    ]
    return render(request, "connectors/connection_list.html", {"rows": rows})


@login_required
@require_GET
def connection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    connection = get_connection(request, pk)
    ctx = {
        "connection": connection,
        "health": actions.connection_health(connection),
        "sources": connection.data_sources.all(),
        "rename_form": RenameForm(initial={"name": connection.name}),
    }
    return render(request, "connectors/connection_detail.html", ctx)


@login_required
@require_GET
def connect_harvest(request: HttpRequest) -> HttpResponse:
    current_membership(request)
    next_path = actions.safe_next_path(request, request.GET.get("next"))
    return _redirect_to_consent(request, next_path)


@login_required
@require_GET
def connection_reconnect(request: HttpRequest, pk: int) -> HttpResponse:
    connection = get_connection(request, pk)
    next_path = actions.safe_next_path(request, request.GET.get("next"))
    return _redirect_to_consent(request, next_path, connection.pk)


def _redirect_to_consent(
    request: HttpRequest, next_path: str, reconnect_id: int | None = None
) -> HttpResponse:
    try:
        return redirect(actions.start_oauth(request, next_path, reconnect_id))
    except HarvestError as error:
        messages.error(request, error.user_message)
        return redirect(LIST)


@login_required
@require_GET
def oauth_callback(request: HttpRequest) -> HttpResponse:
    current_membership(request)
    if request.GET.get("error"):
        actions.discard_state(request, request.GET.get("state", ""))
        messages.error(request, actions.consent_error_message(request.GET["error"]))
        return redirect(LIST)

    try:
        pending = actions.take_state(request, request.GET.get("state", ""))
        connection = actions.connect_with_code(
            request, request.GET.get("code", ""), pending
        )
    except HarvestError as error:
        messages.error(request, error.user_message)
        return redirect(LIST)

    verb = "Reconnected" if pending.reconnect_id is not None else "Connected"
    messages.success(request, f"{verb} “{connection.name}”.")
    return redirect(pending.next_path)


@login_required
@require_http_methods(["GET", "POST"])
def connect_pat(request: HttpRequest) -> HttpResponse:
    current_membership(request)
    form = PersonalTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            connection = actions.connect_personal_token(
                request, form.cleaned_data["token"]
            )
        except TokenInvalid:
            form.add_error("token", "Harvest did not accept this token.")
        except HarvestError as error:
            form.add_error(None, error.user_message)
        else:
            messages.success(request, f"Connected “{connection.name}”.")
            return redirect("connectors:connection_detail", pk=connection.pk)
    return render(request, "connectors/connect_pat.html", {"form": form})


@login_required
@require_POST
def connection_rename(request: HttpRequest, pk: int) -> HttpResponse:
    connection = get_connection(request, pk)
    form = RenameForm(request.POST)
    if form.is_valid():
        actions.rename_connection(connection, form.cleaned_data["name"])
        messages.success(request, "Connection renamed.")
    else:
        messages.error(request, "A connection needs a name of 1 to 255 characters.")
    return redirect("connectors:connection_detail", pk=connection.pk)


@login_required
@require_http_methods(["GET", "POST"])
def connection_delete(request: HttpRequest, pk: int) -> HttpResponse:
    connection = get_connection(request, pk)
    if request.method == "POST":
        name = connection.name
        orphaned = actions.delete_connection(connection)
        note = (
            f" {orphaned} data source(s) now need a new connection." if orphaned else ""
        )
        messages.success(request, f"Deleted “{name}”.{note}")
        return redirect(LIST)

    ctx = {"connection": connection, "sources": connection.data_sources.all()}
    return render(request, "connectors/connection_delete.html", ctx)


@login_required
@require_GET
def connection_accounts(request: HttpRequest, pk: int) -> JsonResponse:
    connection = get_connection(request, pk)
    try:
        accounts = actions.refresh_accounts(connection)
    except TokenInvalid as error:
        return JsonResponse({"error": error.user_message}, status=409)
    except HarvestError as error:
        return JsonResponse({"error": error.user_message}, status=502)
    return JsonResponse(
        {"accounts": [{"id": a["id"], "name": a["name"]} for a in accounts]}
    )
