"""/api/v1/: the same objects and access rules as the pages, as JSON.

Every object is loaded through the app's access helper (datasources.access,
klips.access), so anything the user may not see is a 404, as in the browser.
"""

import logging

from django.urls import reverse
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.rows import MAX_PAGE_SIZE, RowsError, read_page
from datasources.access import can_edit_source, get_source, sources_for
from datasources.refresh import queue_refresh
from klips.access import dashboards_for, get_klip
from klips.actions import freshness, klip_sources, query_for_kind
from klips.query import QueryError
from klips.render import render
from klips.spec import SpecError, parse_spec

logger = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE = 100


class WorkspaceAPIView(APIView):
    """Works in the workspace the token was made for."""

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        request._request.workspace = request.auth.workspace

    def time_zone(self, request: Request) -> str:
        return request.auth.workspace.time_zone or "UTC"


def _as_of(source) -> str | None:
    version = source.current_version
    return version.created_at.isoformat() if version else None


class SourceList(WorkspaceAPIView):
    def get(self, request: Request) -> Response:
        sources = sources_for(request).select_related("current_version")
        return Response(
            [
                {
                    "id": source.pk,
                    "name": source.name,
                    "status": source.status,
                    "as_of": _as_of(source),
                    "row_count": (
                        source.current_version.row_count
                        if source.current_version
                        else 0
                    ),
                    "columns": [
                        {"name": c["name"], "type": c["type"]}
                        for c in source.columns or []
                        if not c.get("hidden")
                    ],
                    "owned": source.owner_id == request.user.pk,
                    "rows_url": reverse("api:source_rows", args=[source.pk]),
                }
                for source in sources
            ]
        )


class DashboardList(WorkspaceAPIView):
    def get(self, request: Request) -> Response:
        dashboards = dashboards_for(request).prefetch_related("klips")
        return Response(
            [
                {
                    "id": dashboard.pk,
                    "name": dashboard.name,
                    "owned": dashboard.owner_id == request.user.pk,
                    "klips": [
                        {
                            "id": klip.pk,
                            "name": klip.name,
                            "kind": klip.kind,
                            "url": reverse(
                                "api:klip_result", args=[dashboard.pk, klip.pk]
                            ),
                        }
                        for klip in dashboard.klips.all()
                    ],
                }
                for dashboard in dashboards
            ]
        )


class SourceRefresh(WorkspaceAPIView):
    def post(self, request: Request, pk: int) -> Response:
        source = get_source(request, pk)
        if source.connection is None or source.connection.needs_reconnect:
            return Response(
                {"error": "The source's connection needs reconnecting first."},
                status=409,
            )
        run = queue_refresh(source, trigger="api")
        logger.info(
            "api refresh source=%s run=%s user=%s", source.pk, run.pk, request.user.pk
        )
        return Response({"status": "queued", "run": run.pk}, status=202)


def _positive(raw: str | None, default: int, most: int | None = None) -> int | None:
    if raw in (None, ""):
        return default
    if not raw.isdigit() or int(raw) < 1:
        return None
    return min(int(raw), most) if most else int(raw)


class SourceRows(WorkspaceAPIView):
    def get(self, request: Request, pk: int) -> Response:
        source = get_source(request, pk)
        page = _positive(request.query_params.get("page"), 1)
        size = _positive(
            request.query_params.get("page_size"), DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
        )
        if page is None or size is None:
            return Response(
                {"error": "page and page_size are whole numbers from 1."}, status=400
            )

        try:
            found = read_page(source, page, size)
        except (RowsError, ValueError) as error:
            return Response({"error": str(error)}, status=422)
        url = reverse("api:source_rows", args=[source.pk])
        has_next = page * size < found.count
        return Response(
            {
                "source": source.pk,
                "as_of": _as_of(source),
                "count": found.count,
                "page": page,
                "page_size": size,
                "next": f"{url}?page={page + 1}&page_size={size}" if has_next else None,
                "previous": (
                    f"{url}?page={page - 1}&page_size={size}" if page > 1 else None
                ),
                "columns": [
                    {"name": c.name, "type": c.type.value} for c in found.columns
                ],
                "results": found.rows,
                "editable": can_edit_source(request, source),
            }
        )


class KlipResult(WorkspaceAPIView):
    def get(self, request: Request, dashboard_id: int, klip_id: int) -> Response:
        klip = get_klip(request, dashboard_id, klip_id)
        try:
            spec = parse_spec(klip.spec)
            sources = klip_sources(klip, spec)
            result = query_for_kind(klip.kind, spec, sources, self.time_zone(request))
            drawn = render(klip.kind, spec, result)
        except (SpecError, QueryError) as error:
            return Response({"klip": klip.pk, "error": str(error)}, status=422)

        return Response(
            {
                "klip": klip.pk,
                "dashboard": klip.dashboard_id,
                "name": klip.name,
                "kind": klip.kind,
                "columns": [
                    {"name": c.name, "role": c.role, "type": c.type}
                    for c in result.columns
                ],
                "rows": result.rows,
                "truncated": result.truncated,
                "reason": result.reason,
                "figure": drawn.get("figure"),
                "table": drawn.get("table"),
                **freshness(sources.get(spec.sources[0])),
            }
        )
