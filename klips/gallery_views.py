"""The gallery page: pre-built Klips and dashboards, added with one click."""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from connectors.access import connections_for
from connectors.catalog import get_recipe
from klips import gallery, gallery_actions
from klips.access import editable_dashboards, get_dashboard
from klips.forms import GalleryAddForm
from workspaces.access import current_membership

logger = logging.getLogger(__name__)


def _form(request: HttpRequest, data=None) -> GalleryAddForm:
    dashboards = editable_dashboards(current_membership(request))
    # Without a choice, Klips go on the user's newest own dashboard, so the first
    # "Add Klip" click works instead of asking for a dashboard.
    newest_own = dashboards.filter(owner=request.user).order_by("-created_at").first()
    chosen = request.GET.get("dashboard") or (newest_own.pk if newest_own else None)
    return GalleryAddForm(
        data,
        initial={"dashboard": chosen},
        connections=list(connections_for(request)),
        dashboards=dashboards,
    )


def _editor_membership(request: HttpRequest):
    membership = current_membership(request)
    if not membership.can_edit:
        raise PermissionDenied("Viewers cannot add Klips or dashboards.")
    return membership


@login_required
@require_GET
def gallery_page(request: HttpRequest) -> HttpResponse:
    _editor_membership(request)
    return _page(request, _form(request))


def _page(request: HttpRequest, form: GalleryAddForm, status: int = 200):
    recipe_names = {
        item.slug: [get_recipe("harvest", slug).name for slug in item.recipes]
        for item in gallery.KLIPS
    }
    dashboards = [
        (item, [gallery.get_klip(slug) for slug in item.klips])
        for item in gallery.DASHBOARDS
    ]
    ctx = {
        "form": form,
        "dashboards": dashboards,
        "klips": [(item, recipe_names[item.slug]) for item in gallery.KLIPS],
        "has_accounts": bool(form.fields["account"].choices),
    }
    return render(request, "klips/gallery.html", ctx, status=status)


@login_required
@require_POST
def gallery_add(request: HttpRequest) -> HttpResponse:
    membership = _editor_membership(request)
    form = _form(request, request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)

    kind, slug = form.kind_and_slug
    connection, account_id = form.connection_and_account
    target = gallery_actions.Target(
        membership.workspace, request.user, connection, account_id
    )
    try:
        if kind == "dashboard":
            dashboard = gallery_actions.add_dashboard(slug, target)
        else:
            dashboard = get_dashboard(
                request, form.cleaned_data["dashboard"].pk, edit=True
            )
            gallery_actions.add_klip(dashboard, slug, target)
    except gallery_actions.GalleryError as error:
        form.add_error(None, str(error))
        return _page(request, form, status=400)

    messages.success(
        request,
        "Added from the gallery. New data sources are refreshing; their Klips "
        "fill in as the data arrives.",
    )
    return redirect("klips:dashboard_detail", dashboard.pk)
