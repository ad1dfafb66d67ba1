"""Reports: the 365-day window, rounded hours, per-currency rows, sums vs the data."""

from collections import defaultdict
from datetime import date

import pytest

from sandbox.data import Dataset
from tests.sandbox.conftest import TODAY

DS = Dataset(42, 300, TODAY)
START, END = date(2025, 10, 1), date(2026, 3, 18)
WINDOW = "from=20251001&to=20260318"


def entries_in_window() -> list[dict]:
    return list(DS.time_entries(from_=START, to=END))


def test_it_refuses_windows_longer_than_365_days(harvest):
    too_long = harvest.get("/v2/reports/time/clients?from=20250318&to=20260318")
    longest = harvest.get("/v2/reports/time/clients?from=20250319&to=20260318")
    missing = harvest.get("/v2/reports/time/clients?from=20250319")

    assert too_long.status_code == 422
    assert "365" in too_long.json()["message"]
    assert longest.status_code == 200
    assert missing.status_code == 422


def test_it_accepts_iso_dates_too(harvest):
    compact = harvest.json(f"/v2/reports/time/projects?{WINDOW}")["results"]
    iso = harvest.json("/v2/reports/time/projects?from=2025-10-01&to=2026-03-18")

    assert iso["results"] == compact


def test_time_by_client_sums_rounded_hours_per_currency(harvest):
    expected = defaultdict(lambda: [0.0, 0.0, 0.0])
    for e in entries_in_window():
        row = expected[(e["client"]["id"], _currency(e))]
        row[0] += e["rounded_hours"]
        if e["billable"]:
            row[1] += e["rounded_hours"]
            row[2] += e["rounded_hours"] * e["billable_rate"]

    rows = harvest.json(f"/v2/reports/time/clients?{WINDOW}")["results"]

    assert {(r["client_id"], r["currency"]) for r in rows} == set(expected)
    for r in rows:
        total, billable, amount = expected[(r["client_id"], r["currency"])]
        assert r["total_hours"] == pytest.approx(total, abs=1e-9)
        assert r["billable_hours"] == pytest.approx(billable, abs=1e-9)
        assert r["billable_amount"] == pytest.approx(amount, abs=0.005)


def test_time_reports_agree_on_the_grand_total(harvest):
    grand = sum(e["rounded_hours"] for e in entries_in_window())

    totals = {
        subject: sum(
            r["total_hours"]
            for r in harvest.json(f"/v2/reports/time/{subject}?{WINDOW}")["results"]
        )
        for subject in ("clients", "projects", "tasks", "team")
    }

    assert set(map(lambda t: round(t, 2), totals.values())) == {round(grand, 2)}
    assert grand > 100


def test_team_rows_carry_capacity_and_contractor_flag(harvest):
    rows = harvest.json(f"/v2/reports/time/team?{WINDOW}")["results"]
    tomas = next(r for r in rows if r["user_name"] == "Tomás Reyes")

    assert tomas["is_contractor"] is True
    assert tomas["weekly_capacity"] == 72000


def test_fixed_fee_amounts_drop_when_excluded(harvest):
    window = "from=20250501&to=20250930"
    included = harvest.json(f"/v2/reports/time/projects?{window}")["results"]
    excluded = harvest.json(
        f"/v2/reports/time/projects?{window}&include_fixed_fee=false"
    )["results"]

    audit_in = next(
        r for r in included if r["project_name"] == "Kestrel Accessibility Audit"
    )
    audit_out = next(
        r for r in excluded if r["project_name"] == "Kestrel Accessibility Audit"
    )

    assert audit_in["billable_amount"] > 0
    assert audit_out["billable_amount"] == 0.0
    assert audit_out["total_hours"] == audit_in["total_hours"]


def test_expense_report_by_category_matches_the_expenses(harvest):
    expected = defaultdict(float)
    for x in DS.expenses(from_=START, to=END):
        expected[(x["expense_category"]["id"], x["client"]["currency"])] += x[
            "total_cost"
        ]

    rows = harvest.json(f"/v2/reports/expenses/categories?{WINDOW}")["results"]

    assert {(r["expense_category_id"], r["currency"]) for r in rows} == set(expected)
    for r in rows:
        key = (r["expense_category_id"], r["currency"])
        assert r["total_amount"] == pytest.approx(expected[key], abs=0.005)


def test_uninvoiced_covers_billable_projects_with_unbilled_time(harvest):
    expected = defaultdict(float)
    for e in entries_in_window():
        project = DS.project_by_id[e["project"]["id"]]
        if project.is_billable and e["billable"] and not e["is_billed"]:
            expected[project.id] += e["rounded_hours"]

    rows = harvest.json(f"/v2/reports/uninvoiced?{WINDOW}")["results"]
    by_project = {r["project_id"]: r for r in rows}

    assert "Internal Operations" not in {r["project_name"] for r in rows}
    for project_id, hours in expected.items():
        assert by_project[project_id]["uninvoiced_hours"] == pytest.approx(hours)


def test_project_budget_lists_budgeted_projects_with_spend(harvest):
    rows = harvest.json("/v2/reports/project_budget")["results"]
    hours_project = next(
        r for r in rows if r["project_name"] == "Marlow Website Redesign"
    )
    spent = sum(e["rounded_hours"] for e in DS.time_entries(project_id=6400005))

    assert "Atelier Lookbook 2026" not in {r["project_name"] for r in rows}
    assert hours_project["budget"] == 1400.0
    assert hours_project["budget_spent"] == pytest.approx(spent)
    assert hours_project["budget_remaining"] == pytest.approx(1400.0 - spent)
    archived = harvest.json("/v2/reports/project_budget?is_active=false")["results"]
    assert {r["is_active"] for r in archived} == {False}


def _currency(entry: dict) -> str:
    return DS.client_specs[entry["client"]["id"]].currency
