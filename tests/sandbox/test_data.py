"""The seeded dataset: determinism, realism, filters, and sums the reports must match."""

from collections import Counter
from datetime import date, timedelta

import pytest

from sandbox.data import Dataset, TimeEntryQuery
from tests.sandbox.conftest import TODAY

SEED_42 = Dataset(42, 300, TODAY)


def test_same_seed_gives_the_identical_page(harvest):
    other = Dataset(42, 300, TODAY)

    page = harvest.json("/v2/time_entries?per_page=50&page=3")["time_entries"]

    assert page == [other.time_entry(i) for i in range(100, 150)]
    assert harvest.json("/v2/time_entries?per_page=50&page=3")["time_entries"] == page


def test_another_seed_gives_other_entries():
    a = [SEED_42.time_entry(i)["hours"] for i in range(50)]
    b = [Dataset(43, 300, TODAY).time_entry(i)["hours"] for i in range(50)]

    assert a != b


def test_entries_span_the_last_year_newest_first():
    entries = list(SEED_42.time_entries())
    dates = [date.fromisoformat(e["spent_date"]) for e in entries]

    assert len(entries) == 300
    assert dates[0] == TODAY
    assert dates == sorted(dates, reverse=True)
    assert TODAY - timedelta(days=365) < dates[-1] <= TODAY - timedelta(days=360)
    assert all(d.weekday() < 5 for d in dates[1:])


def test_it_generates_an_agency_worth_charting():
    entries = list(Dataset(7, 5000, TODAY).time_entries())
    currencies = Counter(e["client"]["id"] for e in entries)
    running = [e for e in entries if e["is_running"]]

    assert len(currencies) >= 7
    assert {p["client"]["currency"] for p in SEED_42.projects()} == {
        "USD",
        "EUR",
        "GBP",
        "CAD",
    }
    assert len(running) == 1 and running[0]["spent_date"] == TODAY.isoformat()
    assert running[0]["hours"] > running[0]["hours_without_timer"]
    assert any(not e["billable"] for e in entries)
    assert any(e["is_billed"] and e["invoice"] for e in entries)
    assert any(e["locked_reason"] == "Project is archived" for e in entries)
    assert any(e["external_reference"] for e in entries)
    assert min(e["id"] for e in entries) > 2**31
    projects = SEED_42.projects()
    assert any(p["is_fixed_fee"] for p in projects)
    assert any(not p["is_active"] for p in projects)
    assert {p["budget_by"] for p in projects} >= {"project", "project_cost", "none"}
    assert any(u["is_contractor"] for u in SEED_42.users())
    assert {u["weekly_capacity"] for u in SEED_42.users()} >= {144000, 72000}
    assert {i["state"] for i in SEED_42.invoices()} == {
        "draft",
        "open",
        "paid",
        "closed",
    }
    assert {e["state"] for e in SEED_42.estimates()} == {
        "draft",
        "sent",
        "accepted",
        "declined",
    }


def test_rounded_hours_round_each_entry_up_to_15_minutes():
    for entry in SEED_42.time_entries():
        quarters = entry["rounded_hours"] * 4
        assert quarters == int(quarters)
        assert 0 <= entry["rounded_hours"] - entry["hours"] < 0.25


@pytest.mark.parametrize("entries", [1, 7, 300, 4321])
def test_date_filters_map_to_the_same_entries_as_a_full_scan(entries):
    ds = Dataset(42, entries, TODAY)
    start, end = TODAY - timedelta(days=40), TODAY - timedelta(days=10)
    everything = list(ds.time_entries())

    filtered = list(ds.time_entries(from_=start, to=end))

    assert filtered == [
        e for e in everything if start.isoformat() <= e["spent_date"] <= end.isoformat()
    ]


def test_the_api_filters_match_the_dataset(harvest):
    project_id = 6400001
    user_id = 8600003

    by_project = harvest.json(f"/v2/time_entries?project_id={project_id}")
    by_user = harvest.json(f"/v2/time_entries?user_id={user_id}&is_billed=true")
    running = harvest.json("/v2/time_entries?is_running=true")

    assert [e["id"] for e in by_project["time_entries"]] == [
        e["id"] for e in SEED_42.time_entries(project_id=project_id)
    ]
    assert by_project["total_entries"] > 10
    assert {e["user"]["id"] for e in by_user["time_entries"]} == {user_id}
    assert all(e["is_billed"] for e in by_user["time_entries"])
    assert [e["is_running"] for e in running["time_entries"]] == [True]


@pytest.mark.parametrize("days_back", [5, 60, 200])
def test_updated_since_returns_entries_changed_after_the_moment(harvest, days_back):
    since = f"{(TODAY - timedelta(days=days_back)).isoformat()}T00:00:00Z"

    page = harvest.json(f"/v2/time_entries?updated_since={since}")

    expected = [e["id"] for e in SEED_42.time_entries() if e["updated_at"] > since]
    assert [e["id"] for e in page["time_entries"]] == expected
    assert 0 < len(expected) < 300
    assert all(e["updated_at"] > since for e in page["time_entries"])


def test_active_filter_splits_clients(harvest):
    active = harvest.json("/v2/clients?is_active=true")["clients"]
    archived = harvest.json("/v2/clients?is_active=false")["clients"]

    assert [c["name"] for c in archived] == ["Solace Health Partners"]
    assert len(active) + len(archived) == harvest.json("/v2/clients")["total_entries"]


def test_invoice_filters(harvest):
    paid = harvest.json("/v2/invoices?state=paid&per_page=2000")["invoices"]
    in_january = harvest.json("/v2/invoices?from=2026-01-01&to=2026-01-31")["invoices"]

    assert paid and {i["state"] for i in paid} == {"paid"}
    assert in_january and all(i["issue_date"].startswith("2026-01") for i in in_january)
    for invoice in paid:
        assert invoice["due_amount"] == 0.0
        subtotal = sum(li["amount"] for li in invoice["line_items"])
        expected = subtotal - invoice["discount_amount"] + invoice["tax_amount"]
        assert invoice["amount"] == pytest.approx(expected, abs=0.01)


def test_invoice_time_lines_equal_the_billed_entries(harvest):
    invoice = next(
        i
        for i in SEED_42.invoices()
        if i["period_start"] and i["client"]["id"] == 5300001
    )
    billed = [
        e
        for e in SEED_42.time_entries(client_id=5300001, is_billed=True)
        if e["invoice"]["id"] == invoice["id"]
    ]

    time_lines = [li for li in invoice["line_items"] if li["kind"] == "Service"]
    billed_value = sum(e["rounded_hours"] * e["billable_rate"] for e in billed)

    assert sum(li["amount"] for li in time_lines) == pytest.approx(
        billed_value, abs=0.01
    )
    assert sum(li["quantity"] for li in time_lines) == pytest.approx(
        sum(e["rounded_hours"] for e in billed)
    )


def test_expenses_filters_and_ids(harvest):
    page = harvest.json("/v2/expenses?from=2026-01-01&to=2026-01-31")
    one = harvest.json(f"/v2/expenses/{page['expenses'][0]['id']}")

    assert page["total_entries"] == len(
        list(SEED_42.expenses(from_=date(2026, 1, 1), to=date(2026, 1, 31)))
    )
    assert one == page["expenses"][0]


def test_get_by_id_matches_the_list(harvest):
    listed = harvest.json("/v2/time_entries?per_page=5")["time_entries"][3]
    project = harvest.json("/v2/projects")["projects"][2]

    assert harvest.json(f"/v2/time_entries/{listed['id']}") == listed
    assert harvest.json(f"/v2/projects/{project['id']}") == project


def test_time_entry_query_is_hashable_for_the_scan_cache():
    assert hash(TimeEntryQuery(user_id=1)) == hash(TimeEntryQuery(user_id=1))


def test_client_task_and_running_filters(harvest):
    by_client = harvest.json("/v2/time_entries?client_id=5300003")["time_entries"]
    by_task = harvest.json("/v2/time_entries?task_id=7500007")["time_entries"]
    stopped = harvest.json("/v2/time_entries?is_running=false")

    assert by_client and {e["client"]["id"] for e in by_client} == {5300003}
    assert by_task and {e["task"]["name"] for e in by_task} == {"Internal Meeting"}
    assert all(not e["billable"] and e["billable_rate"] is None for e in by_task)
    assert stopped["total_entries"] == 299


@pytest.mark.parametrize(
    "today", [date(2026, 12, 4), date(2026, 3, 18), date(2026, 7, 1), date(2027, 1, 6)]
)
def test_no_payment_is_dated_after_today(today):
    dataset = Dataset(42, 300, today)

    paid_dates = [
        payment["paid_date"]
        for invoice in dataset.invoices()
        for payment in dataset.invoice_payments(invoice["id"])
    ]

    assert paid_dates
    assert max(paid_dates) <= today.isoformat()


def test_an_invoice_issued_this_week_has_no_partial_payment_yet():
    dataset = Dataset(42, 3000, date(2026, 12, 4))
    invoice = next(i for i in dataset.invoices() if i["number"] == "2026-0058")

    assert (invoice["issue_date"], invoice["state"]) == ("2026-12-03", "open")
    assert dataset.invoice_payments(invoice["id"]) == []
    assert invoice["due_amount"] == invoice["amount"]
