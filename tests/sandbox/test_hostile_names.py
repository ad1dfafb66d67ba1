"""The hostile_names knob: Harvest's text fields served as attack payloads."""

import requests

from sandbox.server import RunningSandbox
from tests.sandbox.conftest import USER_AGENT, Harvest

PAYLOADS = [
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert('x')>",
    '=HYPERLINK("http://evil.example","x")',
    "{{7*7}} ${7*7} </textarea>",
]


def test_it_serves_each_client_name_as_a_payload_in_turn(
    sb: RunningSandbox, harvest: Harvest
) -> None:
    sb.knobs.hostile_names = PAYLOADS

    clients = harvest.json("/v2/clients")["clients"]

    names = [client["name"] for client in clients]
    assert set(names) == set(PAYLOADS)
    assert len(clients) == len(sb.dataset.clients())
    assert all(client["currency"] in {"USD", "EUR", "GBP", "CAD"} for client in clients)


def test_a_client_keeps_its_payload_everywhere_it_appears(
    sb: RunningSandbox, harvest: Harvest
) -> None:
    sb.knobs.hostile_names = PAYLOADS
    name_of_client = {
        c["id"]: c["name"] for c in harvest.json("/v2/clients")["clients"]
    }

    projects = harvest.json("/v2/projects")["projects"]
    report = harvest.json("/v2/reports/time/clients?from=20260101&to=20260318")

    assert {p["client"]["name"] for p in projects} <= set(PAYLOADS)
    for project in projects:
        assert project["client"]["name"] == name_of_client[project["client"]["id"]]
    for row in report["results"]:
        assert row["client_name"] == name_of_client[row["client_id"]]


def test_notes_subjects_and_people_take_payloads_and_numbers_do_not_change(
    sb: RunningSandbox, harvest: Harvest
) -> None:
    plain_entries = harvest.json("/v2/time_entries?per_page=50")["time_entries"]
    sb.knobs.hostile_names = PAYLOADS

    entries = harvest.json("/v2/time_entries?per_page=50")["time_entries"]
    invoices = harvest.json("/v2/invoices")["invoices"]
    users = harvest.json("/v2/users")["users"]

    assert [e["id"] for e in entries] == [e["id"] for e in plain_entries]
    assert [e["hours"] for e in entries] == [e["hours"] for e in plain_entries]
    noted = [e for e in plain_entries if e["notes"]]
    assert noted, "the sandbox's entries carry notes"
    assert all(e["notes"] in PAYLOADS for e in entries if e["notes"])
    assert all(e["task"]["name"] in PAYLOADS for e in entries)
    assert all(i["subject"] in PAYLOADS for i in invoices if i["subject"])
    assert all(
        u["first_name"] in PAYLOADS and u["last_name"] in PAYLOADS for u in users
    )


def test_the_id_side_names_take_payloads_too(sb: RunningSandbox) -> None:
    sb.knobs.hostile_names = PAYLOADS[:1]

    answer = requests.get(
        sb.id_base + "/api/v2/accounts",
        headers={"Authorization": "Bearer sandbox-demo-pat", "User-Agent": USER_AGENT},
        timeout=30,
    ).json()

    assert {account["name"] for account in answer["accounts"]} == {PAYLOADS[0]}
    assert {account["product"] for account in answer["accounts"]} == {
        "harvest",
        "forecast",
    }


def test_it_is_set_over_http_and_cleared_by_reset(
    sb: RunningSandbox, harvest: Harvest
) -> None:
    set_knobs = requests.post(
        sb.base_url + "/_sandbox/knobs", json={"hostile_names": PAYLOADS}, timeout=30
    )
    hostile_company = harvest.json("/v2/company")

    requests.post(sb.base_url + "/_sandbox/reset", timeout=30)
    plain_company = harvest.json("/v2/company")

    assert set_knobs.json()["hostile_names"] == PAYLOADS
    assert hostile_company["name"] in PAYLOADS
    assert plain_company["name"] == sb.dataset.company()["name"]
    assert plain_company["name"] not in PAYLOADS


def test_it_is_off_by_default(sb: RunningSandbox, harvest: Harvest) -> None:
    clients = harvest.json("/v2/clients")["clients"]

    assert sb.knobs.hostile_names == []
    assert [c["name"] for c in clients] == [c["name"] for c in sb.dataset.clients()]
