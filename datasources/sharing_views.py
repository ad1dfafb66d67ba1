"""Share and unshare a data source: thin views over datasources/sharing.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from datasources import sharing
from datasources.access import get_source


@login_required
@require_POST
def source_share(request: HttpRequest, pk: int) -> HttpResponse:
    source = get_source(request, pk, manage=True)
    try:
        sharing.share_source(
            source,
            request.user,
            request.POST.get("grantee", ""),
            request.POST.get("level", ""),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Shared.")
    return redirect("datasources:source_detail", pk=source.pk)


@login_required
@require_POST
def source_unshare(request: HttpRequest, pk: int) -> HttpResponse:
    source = get_source(request, pk, manage=True)
    try:
        sharing.unshare_source(source, request.user, request.POST.get("grantee", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Share revoked.")
    return redirect("datasources:source_detail", pk=source.pk)
