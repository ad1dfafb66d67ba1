"""Resources beyond the fixture walk: assignments, invoice children, empty lists."""

import requests

from sandbox import catalog
from sandbox.data import Dataset
from tests.sandbox.conftest import TODAY

DS = Dataset(42, 300, TODAY)


def test_my_project_assignments_list_my_projects_with_tasks(harvest):
    page = harvest.json("/v2/users/me/project_assignments")
    assignments = page["project_assignments"]

    mine = {
        ua["project"]["id"]
        for ua in DS.user_assignments()
        if ua["user"]["id"] == catalog.MAYA
    }
    assert {a["project"]["id"] for a in assignments} == mine
    assert all(a["task_assignments"] for a in assignments)
    assert all("currency" in a["client"] for a in assignments)
    assert page["page"] == 1


def test_a_member_lists_their_own_project_assignments(sb, harvest):
    sb.knobs.member_role = True

    mine = harvest.json("/v2/users/me/project_assignments")["project_assignments"]
    others = harvest.get(f"/v2/users/{catalog.MAYA}/project_assignments")

    assert {a["project"]["code"] for a in mine} >= {"KST-APP", "INT-OPS"}
    assert others.status_code == 403


def test_project_scoped_assignments(harvest):
    users = harvest.json("/v2/projects/6400005/user_assignments")["user_assignments"]
    tasks = harvest.json("/v2/projects/6400005/task_assignments")["task_assignments"]

    assert {u["user"]["id"] for u in users} == set(DS.project_by_id[6400005].users)
    assert {t["task"]["id"] for t in tasks} == set(DS.project_by_id[6400005].tasks)
    assert harvest.get("/v2/projects/1/user_assignments").status_code == 404


def test_invoice_children_and_unknown_invoices(harvest):
    partly_paid = next(
        i
        for i in DS.invoices()
        if i["state"] == "open" and i["due_amount"] < i["amount"]
    )

    payments = harvest.json(f"/v2/invoices/{partly_paid['id']}/payments")

    paid = sum(p["amount"] for p in payments["invoice_payments"])
    assert round(partly_paid["amount"] - paid, 2) == partly_paid["due_amount"]
    assert harvest.get("/v2/invoices/1/payments").status_code == 404
    assert harvest.json(f"/v2/invoices/{partly_paid['id']}") == partly_paid


def test_an_empty_list_has_a_complete_envelope(harvest):
    page = harvest.json("/v2/time_entries?from=2020-01-01&to=2020-01-31")

    assert page["time_entries"] == []
    assert (page["total_entries"], page["total_pages"], page["page"]) == (0, 0, 1)
    assert page["links"]["next"] is None and page["links"]["last"]


def test_the_knobs_endpoint_shows_the_settings(sb):
    knobs = requests.get(sb.base_url + "/_sandbox/knobs", timeout=10).json()

    assert knobs["general_limit"] == 100
    assert knobs["today"] == TODAY.isoformat()
    assert knobs["client_id"] == "harvestdash-demo"


def test_roles_list_their_users(harvest):
    roles = harvest.json("/v2/roles")["roles"]
    development = next(r for r in roles if r["name"] == "Development")

    assert set(development["user_ids"]) == {
        catalog.PRIYANKA,
        catalog.LUIS,
        catalog.TOMAS,
    }


def test_item_categories_rates_teammates_and_estimate_messages(harvest):
    accepted = next(e for e in DS.estimates() if e["state"] == "accepted")

    invoice_categories = harvest.json("/v2/invoice_item_categories")
    estimate_categories = harvest.json("/v2/estimate_item_categories")
    messages = harvest.json(f"/v2/estimates/{accepted['id']}/messages")
    rates = harvest.json(f"/v2/users/{catalog.PRIYANKA}/billable_rates")
    costs = harvest.json(f"/v2/users/{catalog.PRIYANKA}/cost_rates")
    mates = harvest.json(f"/v2/users/{catalog.GRACE}/teammates")["teammates"]

    assert {c["name"] for c in invoice_categories["invoice_item_categories"]} >= {
        "Service",
        "Product",
    }
    assert estimate_categories["total_entries"] == 3
    assert [m["event_type"] for m in messages["estimate_messages"]] == [
        "accept",
        "send",
    ]
    assert rates["billable_rates"][0] == {
        **rates["billable_rates"][0],
        "amount": 150.0,
        "end_date": None,
    }
    assert costs["cost_rates"][0]["amount"] == 70.0
    assert catalog.PRIYANKA in {m["id"] for m in mates}
    assert catalog.MAYA not in {m["id"] for m in mates}
    assert harvest.json(f"/v2/users/{catalog.PRIYANKA}/teammates")["teammates"] == []
