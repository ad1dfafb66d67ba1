"""The "api" side: Harvest API v2 resources under /api/v2.

Reference: https://help.getharvest.com/api-v2/ (resources listed in REFERENCE.md §6)
"""

import re
from collections.abc import Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING

from sandbox import catalog
from sandbox.data import ExpenseQuery, TimeEntryQuery
from sandbox.http import Request, Response, forbidden, json_response, message, not_found
from sandbox.pagination import (
    BadParameter,
    PageRequest,
    cursor_based,
    page_based,
    parse_page_request,
)
from sandbox.params import bool_param, date_param, int_param, since_param
from sandbox.reports import Reports
from sandbox.writes import TimeEntryWrites

if TYPE_CHECKING:
    from sandbox.server import SandboxApp

Handler = Callable[[Request], Response]
MEMBER_FORBIDDEN = ("users", "clients", "projects", "tasks")


class Api:
    """Routes /api/v2/... to handlers; each answers like Harvest would."""

    def __init__(self, app: "SandboxApp") -> None:
        self.app = app
        self.reports = Reports(app, self)
        self.writes = TimeEntryWrites(app)
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._register()

    # --------------------------------------------------------------- routing
    def _add(self, method: str, pattern: str, handler: Handler) -> None:
        regex = re.compile(
            "^/v2/" + re.sub(r"\{(\w+)\}", r"(?P<\1>\\d+)", pattern) + "$"
        )
        self.routes.append((method, regex, handler))

    def _register(self) -> None:
        add = self._add
        add("GET", "company", lambda r: json_response(self.ds.company()))
        add("GET", "users/me", self.users_me)
        add("GET", "users/me/project_assignments", self.my_project_assignments)
        add("GET", "users/{user_id}/project_assignments", self.user_project_assignments)
        for name in (
            "users",
            "clients",
            "projects",
            "tasks",
            "contacts",
            "roles",
            "expense_categories",
            "user_assignments",
            "task_assignments",
        ):
            add("GET", name, self._lister(name))
            if not name.endswith("assignments"):
                add("GET", name + "/{id}", self._getter(name))
        add(
            "GET", "projects/{project_id}/user_assignments", self._project_child("user")
        )
        add(
            "GET", "projects/{project_id}/task_assignments", self._project_child("task")
        )
        add("GET", "time_entries", self.time_entries)
        add("GET", "time_entries/{id}", self.time_entry)
        add("POST", "time_entries", self.writes.create)
        add("PATCH", "time_entries/{id}", self.writes.update)
        add("PATCH", "time_entries/{id}/stop", self.writes.stop)
        add("PATCH", "time_entries/{id}/restart", self.writes.restart)
        add("DELETE", "time_entries/{id}", self.writes.delete)
        add("GET", "expenses", self.expenses)
        add("GET", "expenses/{id}", self.expense)
        add("GET", "invoices", self.invoices)
        add("GET", "invoices/{id}", self.invoice)
        add("GET", "invoices/{id}/payments", self._invoice_child("payments"))
        add("GET", "invoices/{id}/messages", self._invoice_child("messages"))
        add("GET", "estimates", self.estimates)
        add("GET", "estimates/{id}", self.estimate)
        add("GET", "invoice_item_categories", self._lister("invoice_item_categories"))
        add("GET", "estimate_item_categories", self._lister("estimate_item_categories"))
        add("GET", "estimates/{id}/messages", self.estimate_messages)
        for kind in ("billable", "cost"):
            add("GET", f"users/{{user_id}}/{kind}_rates", self._user_rates(kind))
        add("GET", "users/{user_id}/teammates", self.teammates)
        self.reports.register(add)

    def dispatch(self, request: Request, path: str) -> Response:
        allowed = False
        for method, regex, handler in self.routes:
            match = regex.match(path)
            if match is None:
                continue
            allowed = True
            if method == request.method:
                request.params = match.groupdict()
                try:
                    return handler(request)
                except BadParameter as problem:
                    return message(422, str(problem))
        if allowed:
            return message(405, "Method not allowed")
        return not_found()

    @property
    def ds(self):
        return self.app.dataset

    @property
    def member(self) -> bool:
        return self.app.knobs.member_role

    def me_id(self) -> int:
        return self.ds.me(self.member)["id"]

    # ------------------------------------------------------------ pagination
    def page_request(
        self, request: Request, default_per_page: int = 2000
    ) -> PageRequest:
        knobs = self.app.knobs
        page_request = parse_page_request(
            request.query,
            request.base_url + "/api" + request.path.removeprefix("/api"),
            default_per_page,
            clamp=knobs.per_page_over_max == "clamp",
        )
        page_request.endless = knobs.endless_pages
        if knobs.next_link_offhost:
            page_request.next_base = knobs.offhost_base.rstrip("/") + request.path
        return page_request

    def paged(
        self,
        request: Request,
        key: str,
        items: Sequence,
        style: str = "page",
        default_per_page: int = 2000,
    ) -> Response:
        page_request = self.page_request(request, default_per_page)
        paginate = cursor_based if style == "cursor" else page_based
        return json_response(paginate(key, items, page_request))

    # ------------------------------------------------------- small resources
    def users_me(self, request: Request) -> Response:
        return json_response(self.ds.me(self.member))

    def _records(self, name: str) -> list[dict]:
        return getattr(self.ds, name)()

    def _lister(self, name: str) -> Handler:
        def handler(request: Request) -> Response:
            if self.member and name in MEMBER_FORBIDDEN:
                return forbidden()
            rows = _filter_rows(self._records(name), request.query)
            return self.paged(request, name, rows, "cursor")

        return handler

    def _getter(self, name: str) -> Handler:
        def handler(request: Request) -> Response:
            if self.member and name in MEMBER_FORBIDDEN:
                return forbidden()
            wanted = int(request.params["id"])
            found = next((r for r in self._records(name) if r["id"] == wanted), None)
            return json_response(found) if found else not_found()

        return handler

    def _project_child(self, kind: str) -> Handler:
        def handler(request: Request) -> Response:
            if self.member:
                return forbidden()
            project_id = int(request.params["project_id"])
            if project_id not in self.ds.project_by_id:
                return not_found()
            rows = getattr(self.ds, f"{kind}_assignments")()
            rows = [r for r in rows if r["project"]["id"] == project_id]
            rows = _filter_rows(rows, request.query)
            return self.paged(request, f"{kind}_assignments", rows)

        return handler

    def my_project_assignments(self, request: Request) -> Response:
        rows = _filter_rows(self.ds.project_assignments(self.me_id()), request.query)
        return self.paged(request, "project_assignments", rows)

    def user_project_assignments(self, request: Request) -> Response:
        user_id = int(request.params["user_id"])
        if self.member and user_id != self.me_id():
            return forbidden()
        if self.ds.user(user_id) is None:
            return not_found()
        rows = _filter_rows(self.ds.project_assignments(user_id), request.query)
        return self.paged(request, "project_assignments", rows, "cursor")

    # ---------------------------------------------------- time and expenses
    def time_entry_query(self, query: dict[str, str]) -> TimeEntryQuery:
        user_id = int_param(query, "user_id")
        if self.member:
            user_id = self.me_id()  # members see their own time only
        return TimeEntryQuery(
            from_=date_param(query, "from"),
            to=date_param(query, "to"),
            user_id=user_id,
            client_id=int_param(query, "client_id"),
            project_id=int_param(query, "project_id"),
            task_id=int_param(query, "task_id"),
            is_billed=bool_param(query, "is_billed"),
            is_running=bool_param(query, "is_running"),
            updated_since=since_param(query),
            external_reference_id=query.get("external_reference_id") or None,
        )

    def time_entries(self, request: Request) -> Response:
        selection = self.ds.select_time_entries(self.time_entry_query(request.query))
        return self.paged(request, "time_entries", selection)

    def time_entry(self, request: Request) -> Response:
        record = self.ds.get_time_entry(int(request.params["id"]))
        if record is None or (self.member and record["user"]["id"] != self.me_id()):
            return not_found()
        return json_response(record)

    def expenses(self, request: Request) -> Response:
        query = request.query
        user_id = self.me_id() if self.member else int_param(query, "user_id")
        expense_query = ExpenseQuery(
            from_=date_param(query, "from"),
            to=date_param(query, "to"),
            user_id=user_id,
            client_id=int_param(query, "client_id"),
            project_id=int_param(query, "project_id"),
            is_billed=bool_param(query, "is_billed"),
            updated_since=since_param(query),
        )
        return self.paged(request, "expenses", self.ds.select_expenses(expense_query))

    def expense(self, request: Request) -> Response:
        record = self.ds.get_expense(int(request.params["id"]))
        if record is None or (self.member and record["user"]["id"] != self.me_id()):
            return not_found()
        return json_response(record)

    # ---------------------------------------------------- invoices, estimates
    def invoices(self, request: Request) -> Response:
        if self.member:
            return forbidden()
        rows = _filter_dated(self.ds.invoices(), request.query)
        project_id = int_param(request.query, "project_id")
        if project_id is not None:
            rows = [
                r
                for r in rows
                if any(
                    (li.get("project") or {}).get("id") == project_id
                    for li in r["line_items"]
                )
            ]
        return self.paged(request, "invoices", rows, default_per_page=100)

    def invoice(self, request: Request) -> Response:
        if self.member:
            return forbidden()
        found = self.ds.invoice(int(request.params["id"]))
        return json_response(found) if found else not_found()

    def _invoice_child(self, kind: str) -> Handler:
        def handler(request: Request) -> Response:
            if self.member:
                return forbidden()
            invoice_id = int(request.params["id"])
            if self.ds.invoice(invoice_id) is None:
                return not_found()
            rows = getattr(self.ds, f"invoice_{kind}")(invoice_id)
            rows = _filter_rows(rows, request.query)
            return self.paged(request, f"invoice_{kind}", rows, "cursor")

        return handler

    def estimate_messages(self, request: Request) -> Response:
        if self.member:
            return forbidden()
        estimate_id = int(request.params["id"])
        if not any(e["id"] == estimate_id for e in self.ds.estimates()):
            return not_found()
        rows = _filter_rows(self.ds.estimate_messages(estimate_id), request.query)
        return self.paged(request, "estimate_messages", rows, "cursor")

    def _user_rates(self, kind: str) -> Handler:
        def handler(request: Request) -> Response:
            user_id = int(request.params["user_id"])
            if self.member:
                return forbidden()
            if self.ds.user(user_id) is None:
                return not_found()
            rows = self.ds.rates(user_id, kind)
            return self.paged(request, f"{kind}_rates", rows, "cursor")

        return handler

    def teammates(self, request: Request) -> Response:
        user_id = int(request.params["user_id"])
        if self.member:
            return forbidden()
        if self.ds.user(user_id) is None:
            return not_found()
        return self.paged(request, "teammates", self.ds.teammates(user_id), "cursor")

    def estimates(self, request: Request) -> Response:
        if self.member:
            return forbidden()
        rows = _filter_dated(self.ds.estimates(), request.query)
        return self.paged(request, "estimates", rows)

    def estimate(self, request: Request) -> Response:
        if self.member:
            return forbidden()
        wanted = int(request.params["id"])
        found = next((r for r in self.ds.estimates() if r["id"] == wanted), None)
        return json_response(found) if found else not_found()


def _filter_rows(rows: list[dict], query: dict[str, str]) -> list[dict]:
    """is_active, updated_since, client_id and user_id, where the rows have them."""
    is_active = bool_param(query, "is_active")
    since = since_param(query)
    client_id = int_param(query, "client_id")
    user_id = int_param(query, "user_id")
    kept = []
    for row in rows:
        if is_active is not None and row.get("is_active", is_active) != is_active:
            continue
        if since is not None and row["updated_at"] <= since:
            continue
        if client_id is not None and (row.get("client") or {}).get("id") != client_id:
            continue
        if user_id is not None and (row.get("user") or {}).get("id") != user_id:
            continue
        kept.append(row)
    return kept


def _filter_dated(rows: list[dict], query: dict[str, str]) -> list[dict]:
    """Invoices and estimates: from/to on issue_date, state, plus the common ones."""
    start: date | None = date_param(query, "from")
    end: date | None = date_param(query, "to")
    state = query.get("state") or None
    kept = []
    for row in _filter_rows(rows, query):
        issued = row["issue_date"]
        if start is not None and issued < start.isoformat():
            continue
        if end is not None and issued > end.isoformat():
            continue
        if state is not None and row["state"] != state:
            continue
        kept.append(row)
    return kept


__all__ = ["Api", "catalog"]
