"""The page where a user makes and revokes their API tokens."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from api import tokens
from api.models import ApiToken
from workspaces.access import current_membership


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    membership = current_membership(request)
    new_key = None
    if request.method == "POST":
        _, new_key = tokens.create_token(
            request.user, membership.workspace, request.POST.get("name", "")
        )

    ctx = {
        "tokens": ApiToken.objects.filter(
            user=request.user, workspace=membership.workspace
        ),
        "new_key": new_key,
        "api_root": request.build_absolute_uri("/api/v1/"),
    }
    return render(request, "api/tokens.html", ctx)


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    membership = current_membership(request)
    token = ApiToken.objects.filter(
        pk=token_id, user=request.user, workspace=membership.workspace
    ).first()
    if token is None:
        raise Http404
    tokens.revoke_token(token)
    messages.success(request, "Token revoked; it stops working now.")
    return redirect("api:tokens")
