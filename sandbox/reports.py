"""The Reports API: time, expenses, uninvoiced and project budget.

Reference: https://help.getharvest.com/api-v2/reports-api/reports/time-reports/
Hours are the per-entry rounded hours (up to 15 minutes); billable_amount is rounded
hours x billable rate, summed per subject and currency.
"""

import threading
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from sandbox import catalog
from sandbox.catalog import ProjectSpec
from sandbox.data import Combo, ExpenseQuery, TimeEntryQuery, _month_key
from sandbox.http import Request, Response, message
from sandbox.pagination import BadParameter
from sandbox.params import bool_param, date_param

if TYPE_CHECKING:
    from sandbox.api import Api
    from sandbox.server import SandboxApp

MAX_SPAN_DAYS = 365


def cents(rate: float | None) -> int:
    return round((rate or 0) * 100)


class Reports:
    def __init__(self, app: "SandboxApp", api: "Api") -> None:
        self.app = app
        self.api = api
        self._cache: dict[tuple, list[dict]] = {}
        self._lock = threading.Lock()

    def register(self, add: Callable) -> None:
        for subject in ("clients", "projects", "tasks", "team"):
            add("GET", f"reports/time/{subject}", self._time_handler(subject))
        for subject in ("clients", "projects", "categories", "team"):
            add("GET", f"reports/expenses/{subject}", self._expense_handler(subject))
        add("GET", "reports/uninvoiced", self.uninvoiced)
        add("GET", "reports/project_budget", self.project_budget)

    # ----------------------------------------------------------------- common
    def window(self, request: Request) -> tuple[date, date]:
        start = date_param(request.query, "from")
        end = date_param(request.query, "to")
        if start is None or end is None:
            raise BadParameter("from and to are required")
        if end < start:
            raise BadParameter("to must be on or after from")
        if (end - start).days >= MAX_SPAN_DAYS:
            raise BadParameter("The date range cannot be more than 365 days")
        return start, end

    def _cached(self, key: tuple, build: Callable[[], list[dict]]) -> list[dict]:
        ds = self.app.dataset
        full_key = (ds.generation, ds.overlay.version, self.app.knobs.member_role, *key)
        with self._lock:
            rows = self._cache.get(full_key)
        if rows is None:
            rows = build()
            with self._lock:
                if len(self._cache) > 64:
                    self._cache.clear()
                self._cache[full_key] = rows
        return rows

    def _respond(self, request: Request, rows: list[dict]) -> Response:
        return self.api.paged(request, "results", rows)

    def _member_user(self) -> int | None:
        return self.api.me_id() if self.app.knobs.member_role else None

    # ------------------------------------------------------------------- time
    def _time_handler(self, subject: str) -> Callable[[Request], Response]:
        def handler(request: Request) -> Response:
            start, end = self.window(request)
            fixed_fee = bool_param(request.query, "include_fixed_fee")
            include_fixed_fee = True if fixed_fee is None else fixed_fee
            rows = self._cached(
                ("time", subject, start, end, include_fixed_fee),
                lambda: self.time_rows(subject, start, end, include_fixed_fee),
            )
            return self._respond(request, rows)

        return handler

    def time_rows(
        self, subject: str, start: date, end: date, include_fixed_fee: bool = True
    ) -> list[dict]:
        ds = self.app.dataset
        query = TimeEntryQuery(from_=start, to=end, user_id=self._member_user())
        sums: dict[tuple, list[int]] = {}
        for spec, user_id, task_id, rounded, billable, rate, _billed in ds.time_facts(
            query
        ):
            client = ds.client_specs[spec.client_id]
            subject_id = {
                "clients": client.id,
                "projects": spec.id,
                "tasks": task_id,
                "team": user_id,
            }[subject]
            total = sums.setdefault((subject_id, client.currency), [0, 0, 0])
            total[0] += rounded
            if billable:
                total[1] += rounded
                if include_fixed_fee or not spec.is_fixed_fee:
                    total[2] += rounded * cents(rate)
        rows = [
            self._time_row(subject, subject_id, currency, *totals)
            for (subject_id, currency), totals in sums.items()
        ]
        return sorted(rows, key=_name_then_currency)

    def _time_row(
        self,
        subject: str,
        subject_id: int,
        currency: str,
        total: int,
        billable: int,
        amount: int,
    ) -> dict:
        ds = self.app.dataset
        row = _subject_fields(ds, subject, subject_id)
        if subject == "team":
            user = ds.user(subject_id)
            row["is_contractor"] = user["is_contractor"]
        row.update(
            {
                "total_hours": total / 100,
                "billable_hours": billable / 100,
                "currency": currency,
                "billable_amount": round(amount / 10000, 2),
            }
        )
        if subject == "team":
            row["weekly_capacity"] = user["weekly_capacity"]
            row["avatar_url"] = user["avatar_url"]
        return row

    # --------------------------------------------------------------- expenses
    def _expense_handler(self, subject: str) -> Callable[[Request], Response]:
        def handler(request: Request) -> Response:
            start, end = self.window(request)
            rows = self._cached(
                ("expenses", subject, start, end),
                lambda: self.expense_rows(subject, start, end),
            )
            return self._respond(request, rows)

        return handler

    def expense_rows(self, subject: str, start: date, end: date) -> list[dict]:
        ds = self.app.dataset
        query = ExpenseQuery(from_=start, to=end, user_id=self._member_user())
        sums: dict[tuple, list[int]] = {}
        for spec, user_id, category, amount, billable, _billed in ds.expense_facts(
            query
        ):
            client = ds.client_specs[spec.client_id]
            subject_id = {
                "clients": client.id,
                "projects": spec.id,
                "categories": catalog.EXPENSE_CATEGORIES[category][0],
                "team": user_id,
            }[subject]
            total = sums.setdefault((subject_id, client.currency), [0, 0])
            total[0] += cents(amount)
            if billable:
                total[1] += cents(amount)
        rows = []
        for (subject_id, currency), (total, billable) in sums.items():
            row = _subject_fields(ds, subject, subject_id)
            if subject == "team":
                row["is_contractor"] = ds.user(subject_id)["is_contractor"]
            row.update(
                {
                    "total_amount": total / 100,
                    "billable_amount": billable / 100,
                    "currency": currency,
                }
            )
            rows.append(row)
        return sorted(rows, key=_name_then_currency)

    # ------------------------------------------------------------- uninvoiced
    def uninvoiced(self, request: Request) -> Response:
        start, end = self.window(request)
        fixed_fee = bool_param(request.query, "include_fixed_fee")
        include_fixed_fee = True if fixed_fee is None else fixed_fee
        rows = self._cached(
            ("uninvoiced", start, end, include_fixed_fee),
            lambda: self.uninvoiced_rows(start, end, include_fixed_fee),
        )
        return self._respond(request, rows)

    def uninvoiced_rows(
        self, start: date, end: date, include_fixed_fee: bool = True
    ) -> list[dict]:
        ds = self.app.dataset
        member = self._member_user()
        sums: dict[int, list[int]] = {}
        for spec, _u, _t, rounded, billable, rate, billed in ds.time_facts(
            TimeEntryQuery(from_=start, to=end, user_id=member)
        ):
            if not spec.is_billable or (spec.is_fixed_fee and not include_fixed_fee):
                continue
            total = sums.setdefault(spec.id, [0, 0, 0, 0])
            total[0] += rounded
            if billable and not billed:
                total[1] += rounded
                total[2] += rounded * cents(rate)
        for spec, _u, _c, amount, billable, billed in ds.expense_facts(
            ExpenseQuery(from_=start, to=end, user_id=member)
        ):
            if not spec.is_billable or (spec.is_fixed_fee and not include_fixed_fee):
                continue
            if billable and not billed:
                sums.setdefault(spec.id, [0, 0, 0, 0])[3] += cents(amount)
        rows = []
        for project_id, (total, hours, time_amount, expenses) in sums.items():
            spec = ds.project_by_id[project_id]
            client = ds.client_specs[spec.client_id]
            rows.append(
                {
                    "client_id": client.id,
                    "client_name": client.name,
                    "project_id": spec.id,
                    "project_name": spec.name,
                    "currency": client.currency,
                    "total_hours": total / 100,
                    "uninvoiced_hours": hours / 100,
                    "uninvoiced_expenses": expenses / 100,
                    "uninvoiced_amount": round(time_amount / 10000 + expenses / 100, 2),
                }
            )
        return sorted(rows, key=lambda r: (r["client_name"], r["project_name"]))

    # ---------------------------------------------------------- project budget
    def project_budget(self, request: Request) -> Response:
        is_active = bool_param(request.query, "is_active")
        rows = self._cached(("budget",), self.project_budget_rows)
        if is_active is not None:
            rows = [row for row in rows if row["is_active"] == is_active]
        return self._respond(request, rows)

    def project_budget_rows(self) -> list[dict]:
        ds = self.app.dataset
        budgeted = [
            spec
            for spec in ds.project_specs
            if spec.budget_by != "none" and (spec.budget or spec.cost_budget)
        ]
        month = _month_key(ds.today)
        spent: dict[int, list[int]] = {spec.id: [0, 0] for spec in budgeted}
        query = TimeEntryQuery(user_id=self._member_user())
        selection = ds.select_time_entries(query)
        for i in selection.generated:
            k, p_index, user_id, task_id, centi, _h = ds.entry_core(i)
            spec = ds.project_specs[p_index]
            if spec.id not in spent:
                continue
            if spec.budget_is_monthly and _month_key(ds.days[k]) != month:
                continue
            combo = ds.combo_for(p_index, user_id, task_id)
            rounded = ds_rounded(i, centi)
            spent[spec.id][0] += rounded
            spent[spec.id][1] += rounded * cents(_money_rate(spec, combo))
        for rec in selection.extras:
            if rec["project"]["id"] in spent:
                rounded = round(rec["rounded_hours"] * 100)
                spent[rec["project"]["id"]][0] += rounded
                spent[rec["project"]["id"]][1] += rounded * cents(rec["billable_rate"])
        rows = []
        for spec in budgeted:
            client = ds.client_specs[spec.client_id]
            by_money = spec.budget_by in ("project_cost", "task_fees")
            budget = (spec.cost_budget if by_money else spec.budget) or 0.0
            used = (
                round(spent[spec.id][1] / 10000, 2)
                if by_money
                else spent[spec.id][0] / 100
            )
            rows.append(
                {
                    "project_id": spec.id,
                    "project_name": spec.name,
                    "client_id": client.id,
                    "client_name": client.name,
                    "budget_is_monthly": spec.budget_is_monthly,
                    "budget_by": spec.budget_by,
                    "is_active": spec.archived is None,
                    "budget": budget,
                    "budget_spent": used,
                    "budget_remaining": round(budget - used, 2),
                }
            )
        return sorted(rows, key=lambda r: (r["client_name"], r["project_name"]))


def ds_rounded(i: int, centi: int) -> int:
    from sandbox.data import RUNNING_LIVE_CENTIHOURS, ceil_quarter

    return ceil_quarter(centi + (RUNNING_LIVE_CENTIHOURS if i == 0 else 0))


def _money_rate(spec: ProjectSpec, combo: Combo) -> float | None:
    """Budget spend in money: billable rate, or the project rate on fixed-fee work."""
    if not combo.billable:
        return None
    return combo.billable_rate if combo.billable_rate is not None else spec.hourly_rate


def _subject_fields(ds, subject: str, subject_id: int) -> dict:
    if subject == "clients":
        client = ds.client_specs[subject_id]
        return {"client_id": client.id, "client_name": client.name}
    if subject == "projects":
        spec = ds.project_by_id[subject_id]
        client = ds.client_specs[spec.client_id]
        return {
            "project_id": spec.id,
            "project_name": spec.name,
            "client_id": client.id,
            "client_name": client.name,
        }
    if subject == "tasks":
        task = ds.task_by_id[subject_id]
        return {"task_id": task.id, "task_name": task.name}
    if subject == "categories":
        row = next(c for c in catalog.EXPENSE_CATEGORIES if c[0] == subject_id)
        return {"expense_category_id": row[0], "expense_category_name": row[1]}
    user = ds.user(subject_id)
    return {
        "user_id": user["id"],
        "user_name": f"{user['first_name']} {user['last_name']}",
    }


def _name_then_currency(row: dict) -> tuple:
    name_key = next(k for k in row if k.endswith("_name"))
    if "project_name" in row:
        name_key = "project_name"
    return (row[name_key], row["currency"])


__all__ = ["Reports", "message"]
