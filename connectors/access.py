"""Who may see a connection: its owner, inside the workspace it belongs to.

A connection carries its owner's Harvest login, so it is private even from
teammates; anything else answers 404 so that ids reveal nothing.
"""

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from connectors.models import Connection
from workspaces.access import current_membership


def connections_for(request: HttpRequest) -> QuerySet[Connection]:
    if not request.user.is_authenticated or request.workspace is None:
        return Connection.objects.none()
    return Connection.objects.filter(owner=request.user, workspace=request.workspace)


def get_connection(request: HttpRequest, pk: int) -> Connection:
    """The connection, or 404 unless the user owns it in request.workspace."""
    current_membership(request)
    return get_object_or_404(connections_for(request), pk=pk)
