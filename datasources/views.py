"""Thin views: parse input, check access, call an action, render."""

import logging
from functools import wraps

import duckdb
from django import forms as django_forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from connectors.access import connections_for, get_connection
from connectors.catalog import get_service, services
from connectors.harvest.errors import DisallowedURL, HarvestError, TokenInvalid
from datasources import actions, mirrors, notifications, schedule, storage, wizard
from datasources.access import (
    can_edit_source,
    can_manage_source,
    get_source,
    sources_for,
)
from datasources.forms import (
    AccountChoiceForm,
    ColumnFormSet,
    ConnectionChoiceForm,
    QueryUrlForm,
    SourceSettingsForm,
    columns_from_formset,
    initial_columns,
)
from datasources.modelling import flatten, parse_columns
from datasources.models import DataSource, RefreshRun
from datasources.presentation import ordered_columns, typed_rows
from datasources.relative_dates import UnknownPlaceholder, placeholder_names

logger = logging.getLogger(__name__)

RUNS_SHOWN = 25
PREVIEW_ROWS = 20


def _harvest_failure(request: HttpRequest, error: HarvestError, connection=None):
    """Shows a Harvest failure as a message; returns the connection to reconnect."""
    messages.error(request, error.user_message)
    if isinstance(error, TokenInvalid) and connection is not None:
        messages.warning(request, "Connection needs reconnecting.")
        connection.refresh_from_db()
        return connection
    return None


# Catalog ---------------------------------------------------------------------


@login_required
def catalog(request: HttpRequest) -> HttpResponse:
    return render(
        request, "datasources/catalog.html", {"services": services().values()}
    )


@login_required
def service_detail(request: HttpRequest, service: str) -> HttpResponse:
    found = get_service(service)
    if found is None:
        raise Http404
    connections = connections_for(request).filter(service=found.slug)
    ctx = {
        "service": found,
        "general": [r for r in found.recipes if r.bucket == "general"],
        "reports": [r for r in found.recipes if r.bucket == "reports"],
        "connections": connections,
    }
    if request.GET.get("accounts_for"):
        ctx.update(_accounts_listing(request, request.GET["accounts_for"]))
    return render(request, "datasources/service_detail.html", ctx)


def _accounts_listing(request: HttpRequest, raw_pk: str) -> dict:
    if not raw_pk.isdigit():
        raise Http404
    connection = get_connection(request, int(raw_pk))
    try:
        accounts = actions.all_accounts(connection)
    except HarvestError as error:
        return {
            "accounts_connection": connection,
            "reconnect": _harvest_failure(request, error, connection),
        }
    return {"accounts_connection": connection, "accounts": accounts}


# Wizard ------------------------------------------------------------------------


@login_required
def wizard_start(request: HttpRequest, service: str, recipe: str = "") -> HttpResponse:
    found = get_service(service)
    chosen = found.recipe(recipe) if found and recipe else None
    if found is None or (recipe and chosen is None):
        raise Http404
    wizard_id = wizard.start(request.session, found.slug, chosen)
    first_step = "connection" if chosen else "custom"
    return redirect("datasources:wizard", wizard_id=wizard_id, step=first_step)


def _with_wizard(view):
    @wraps(view)
    def wrapped(request, wizard_id: str, step: str):
        state = wizard.load(request.session, wizard_id)
        if state is None:
            messages.info(request, "That setup has expired; start again from here.")
            return redirect("datasources:catalog")
        if step not in wizard.STEP_TITLES:
            raise Http404
        return view(request, wizard_id, step, state)

    return wrapped


@login_required
@_with_wizard
def wizard_step(request, wizard_id: str, step: str, state: wizard.WizardState):
    missing = state.first_missing_step()
    if step == "account" and state.connection_id is None:
        return _next(wizard_id, "connection")
    if missing and step in {"data", "model", "save"}:
        return _next(wizard_id, missing)

    handler = _STEP_HANDLERS[step]
    return handler(request, wizard_id, state)


def _next(wizard_id: str, step: str):
    return redirect("datasources:wizard", wizard_id=wizard_id, step=step)


def _render_step(request, wizard_id, state, step: str, ctx: dict) -> HttpResponse:
    ctx.update(
        {
            "wizard_id": wizard_id,
            "state": state,
            "recipe": state.recipe_obj,
            "step": step,
            "steps": [(s, wizard.STEP_TITLES[s]) for s in state.steps],
            "api_base": settings.HARVEST_API_BASE,
        }
    )
    return render(request, f"datasources/wizard/{step}.html", ctx)


def _after_setup_step(state: wizard.WizardState) -> str:
    return state.first_missing_step() or "data"


def _connection_step(request, wizard_id: str, state: wizard.WizardState):
    connections = list(connections_for(request).filter(service=state.service))
    form = ConnectionChoiceForm(
        request.POST or None,
        connections=connections,
        initial={"connection": state.connection_id},
    )
    if request.method == "POST" and form.is_valid():
        connection = get_connection(request, form.cleaned_data["connection"])
        if connection.needs_reconnect:
            messages.error(request, "Connection needs reconnecting before use.")
        else:
            if connection.pk != state.connection_id:
                state.account_id = None
            state.connection_id = connection.pk
            wizard.save(request.session, wizard_id, state)
            return _next(wizard_id, _after_setup_step(state))

    this_step = reverse(
        "datasources:wizard", kwargs={"wizard_id": wizard_id, "step": "connection"}
    )
    ctx = {"form": form, "connections": connections, "this_step": this_step}
    return _render_step(request, wizard_id, state, "connection", ctx)


def _account_step(request, wizard_id: str, state: wizard.WizardState):
    connection = get_connection(request, state.connection_id)
    ctx: dict = {"connection": connection}
    try:
        accounts = actions.harvest_accounts(connection)
    except HarvestError as error:
        ctx["reconnect"] = _harvest_failure(request, error, connection)
        return _render_step(request, wizard_id, state, "account", ctx)

    form = AccountChoiceForm(
        request.POST or None, accounts=accounts, initial={"account": state.account_id}
    )
    if request.method == "POST" and form.is_valid():
        state.account_id = form.cleaned_data["account"]
        wizard.save(request.session, wizard_id, state)
        return _next(wizard_id, _after_setup_step(state))

    ctx.update({"form": form, "accounts": accounts})
    return _render_step(request, wizard_id, state, "account", ctx)


def _data_step(request, wizard_id: str, state: wizard.WizardState):
    connection = get_connection(request, state.connection_id)
    ctx: dict = {"connection": connection}
    try:
        preview = actions.preview_source_query(
            connection,
            state.account_id,
            state.query_url,
            request.workspace,
            state.service,
            state.recipe,
        )
    except HarvestError as error:
        ctx["reconnect"] = _harvest_failure(request, error, connection)
        return _render_step(request, wizard_id, state, "data", ctx)

    inferred = ordered_columns(preview.columns, state.recipe_obj)
    state.inferred_columns = inferred
    state.preview_rows = [flatten(r) for r in preview.records[:PREVIEW_ROWS]]
    wizard.save(request.session, wizard_id, state)
    shown = [c for c in (state.columns or inferred) if not c.get("hidden")][:12]
    ctx.update(
        {
            "preview": preview,
            "preview_columns": shown,
            "preview_table": typed_rows(state.preview_rows, shown),
        }
    )
    return _render_step(request, wizard_id, state, "data", ctx)


def _custom_step(request, wizard_id: str, state: wizard.WizardState):
    if request.method == "POST" and request.POST.get("action") == "basic":
        wizard.switch_to_basic(state)
        wizard.save(request.session, wizard_id, state)
        messages.info(request, "Back to basic settings; your edits were discarded.")
        return _next(wizard_id, _after_setup_step(state))

    form = QueryUrlForm(request.POST or None, initial={"query_url": state.query_url})
    if request.method == "POST" and form.is_valid():
        try:
            query_url = actions.normalize_template(form.cleaned_data["query_url"])
        except (DisallowedURL, UnknownPlaceholder) as error:
            form.add_error("query_url", getattr(error, "user_message", str(error)))
        else:
            wizard.set_query_url(state, query_url)
            wizard.save(request.session, wizard_id, state)
            return _next(wizard_id, _after_setup_step(state))

    ctx = {"form": form, "placeholders": placeholder_names()}
    return _render_step(request, wizard_id, state, "custom", ctx)


def _model_step(request, wizard_id: str, state: wizard.WizardState):
    columns = state.columns or state.inferred_columns
    if not columns:
        messages.info(request, "Get a preview first; columns come from its data.")
        return _next(wizard_id, "data")

    formset = ColumnFormSet(
        request.POST or None, initial=initial_columns(columns), prefix="columns"
    )
    if request.method == "POST" and formset.is_valid():
        chosen = columns_from_formset(formset)
        try:
            parse_columns(chosen)
        except ValueError as error:
            messages.error(request, str(error))
        else:
            state.columns = chosen
            wizard.save(request.session, wizard_id, state)
            if request.POST.get("action") != "preview":
                return _next(wizard_id, "save")
            columns = chosen
            formset = ColumnFormSet(initial=initial_columns(columns), prefix="columns")

    visible = [c for c in columns if not c.get("hidden")]
    ctx = {
        "formset": formset,
        "typed_columns": visible,
        "typed_table": typed_rows(state.preview_rows, visible),
    }
    return _render_step(request, wizard_id, state, "model", ctx)


def _save_step(request, wizard_id: str, state: wizard.WizardState):
    recipe = state.recipe_obj
    initial = {
        "name": recipe.name if recipe else "Custom Harvest source",
        **SourceSettingsForm.initial_for(
            recipe.refresh_minutes if recipe else 60, None
        ),
    }
    form = SourceSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        connection = get_connection(request, state.connection_id)
        source = actions.create_source(
            workspace=request.workspace,
            owner=request.user,
            connection=connection,
            account_id=state.account_id,
            name=form.cleaned_data["name"],
            query_url=state.query_url,
            service=state.service,
            recipe="" if state.custom else state.recipe,
            columns=state.columns,
            refresh_minutes=form.refresh_minutes(),
            daily_at=form.daily_time(),
            shared_with_workspace=form.cleaned_data["shared_with_workspace"],
        )
        wizard.finish(request.session, wizard_id)
        messages.success(request, "Data source saved; its first refresh is queued.")
        return redirect("datasources:source_detail", pk=source.pk)

    return _render_step(request, wizard_id, state, "save", {"form": form})


_STEP_HANDLERS = {
    "connection": _connection_step,
    "account": _account_step,
    "data": _data_step,
    "custom": _custom_step,
    "model": _model_step,
    "save": _save_step,
}


# Sources -------------------------------------------------------------------------


@login_required
def source_list(request: HttpRequest) -> HttpResponse:
    sources = sources_for(request).select_related("connection", "owner")
    ctx = {
        "sources": sources,
        "troubled": notifications.troubled_sources(request.user, request.workspace),
    }
    return render(request, "datasources/source_list.html", ctx)


@login_required
def source_detail(request: HttpRequest, pk: int) -> HttpResponse:
    source = get_source(request, pk)
    runs = source.runs.all()[:RUNS_SHOWN]
    names, rows = [], []
    if source.current_version is not None:
        try:
            names, rows = storage.read_rows(source.current_version, PREVIEW_ROWS)
        except (OSError, duckdb.Error):
            logger.exception("stored version unreadable source=%s", source.pk)
            messages.error(request, "The stored data of this source cannot be read.")
    names, rows = _as_modelled(source, names, rows)
    ctx = {
        "source": source,
        "can_edit": can_edit_source(request, source),
        "can_manage": can_manage_source(request, source),
        "schedule_text": schedule.describe(source),
        "runs": runs,
        "stored_names": names,
        "stored_rows": rows,
        "mirror": mirrors.mirror_of(source, timezone.localdate()),
    }
    return render(request, "datasources/source_detail.html", ctx)


def _as_modelled(
    source: DataSource, names: list[str], rows: list[tuple]
) -> tuple[list[str], list[tuple]]:
    """Stored rows as Klips see them: the modelled names in the modelled order,
    hidden columns left out (the owner hid them; a sharer must not read them
    here). A source not modelled yet shows every stored column."""
    if not source.columns:
        return names, rows

    position = {name: index for index, name in enumerate(names)}
    shown = [
        (column["name"], position[column["path"]])
        for column in source.columns
        if not column.get("hidden") and column.get("path") in position
    ]
    return (
        [name for name, _ in shown],
        [tuple(row[index] for _, index in shown) for row in rows],
    )


@login_required
@require_POST
def source_refresh(request: HttpRequest, pk: int) -> HttpResponse:
    source = get_source(request, pk)
    if source.connection is None or source.connection.needs_reconnect:
        messages.error(request, "Connection needs reconnecting before a refresh.")
    else:
        actions.queue_refresh(source, trigger="manual")
        messages.success(request, "Refresh queued.")
    return redirect("datasources:source_detail", pk=source.pk)


@login_required
@require_POST
def source_resume(request: HttpRequest, pk: int) -> HttpResponse:
    source = get_source(request, pk, edit=True)
    actions.resume_source(source)
    messages.success(request, "Source resumed; a refresh is queued.")
    return redirect("datasources:source_detail", pk=source.pk)


def _account_choices(connections, current_id: int) -> list[tuple[int, str]]:
    """Every Harvest account the user's connections reach, the current one too."""
    names = {
        account["id"]: account["name"]
        for connection in connections
        for account in connection.harvest_accounts()
    }
    names.setdefault(current_id, "the account it reads now")
    return [
        (account_id, f"{name} ({account_id})") for account_id, name in names.items()
    ]


@login_required
def source_edit(request: HttpRequest, pk: int) -> HttpResponse:
    source = get_source(request, pk, edit=True)
    initial = {
        "name": source.name,
        "shared_with_workspace": source.shared_with_workspace,
        **SourceSettingsForm.initial_for(source.refresh_minutes, source.daily_at),
    }
    form = SourceSettingsForm(request.POST or None, initial=initial)
    if can_manage_source(request, source):
        # Only the owner's own connections: a connection is never shared.
        form.fields["connection"] = django_forms.ModelChoiceField(
            queryset=connections_for(request),
            initial=source.connection,
            required=False,
            label="Connection",
            empty_label="— none (refreshes stopped) —",
        )
        form.fields["account"] = django_forms.TypedChoiceField(
            coerce=int,
            choices=_account_choices(connections_for(request), source.account_id),
            initial=source.account_id,
            required=False,
            empty_value=None,
            label="Harvest account",
            help_text="The connection must reach it; the next refresh reads it.",
        )
    else:
        # Sharing stays with the owner (and its audit log with datasources/sharing.py).
        del form.fields["shared_with_workspace"]
    formset = ColumnFormSet(
        request.POST or None, initial=initial_columns(source.columns), prefix="columns"
    )
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            actions.update_source(
                source,
                name=form.cleaned_data["name"],
                refresh_minutes=form.refresh_minutes(),
                daily_at=form.daily_time(),
                shared_with_workspace=form.cleaned_data.get(
                    "shared_with_workspace", source.shared_with_workspace
                ),
                columns=columns_from_formset(formset),
            )
            chosen = form.cleaned_data.get("connection")
            account_id = form.cleaned_data.get("account") or source.account_id
            if chosen is not None and (chosen.pk, account_id) != (
                source.connection_id,
                source.account_id,
            ):
                actions.assign_connection(source, chosen, account_id)
        except ValueError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Saved.")
            return redirect("datasources:source_detail", pk=source.pk)

    ctx = {"source": source, "form": form, "formset": formset}
    return render(request, "datasources/source_edit.html", ctx)


@login_required
@require_POST
def source_delete(request: HttpRequest, pk: int) -> HttpResponse:
    source = get_source(request, pk, manage=True)
    name = source.name
    actions.delete_source(source)
    messages.success(request, f"Deleted “{name}”.")
    return redirect("datasources:source_list")


@login_required
def run_progress(request: HttpRequest, pk: int, run_pk: int) -> JsonResponse:
    source = get_source(request, pk)
    run = get_object_or_404(RefreshRun, pk=run_pk, source=source)
    return JsonResponse(
        {
            "id": run.pk,
            "status": run.status,
            "finished": run.status
            in {RefreshRun.Status.SUCCEEDED, RefreshRun.Status.FAILED},
            "pages_done": run.pages_done,
            "pages_total": run.pages_total,
            "requests": run.requests,
            "rows": run.rows,
            "bytes": run.bytes,
            "duration_ms": run.duration_ms,
            "error": run.error,
        }
    )
