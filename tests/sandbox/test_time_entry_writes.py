"""POST/PATCH/DELETE on time entries: an overlay with its own updated_at."""

import requests

from sandbox.data import Dataset
from tests.sandbox.conftest import TODAY, harvest_headers


def send(sb, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(
        method, sb.api_base + path, headers=harvest_headers(), timeout=10, **kwargs
    )


def test_it_creates_an_entry_that_lists_in_date_order(sb, harvest):
    created = send(
        sb,
        "POST",
        "/v2/time_entries",
        json={
            "project_id": 6400001,
            "task_id": 7500002,
            "spent_date": "2026-03-10",
            "hours": 1.1,
            "notes": "Pairing session",
        },
    )
    listed = harvest.json("/v2/time_entries?from=2026-03-10&to=2026-03-10")

    assert created.status_code == 201
    body = created.json()
    assert body["hours"] == 1.1 and body["rounded_hours"] == 1.25
    assert body["user"]["id"] == 8600001
    assert listed["time_entries"][0]["id"] == body["id"]
    assert listed["total_entries"] == 1 + len(
        list(
            Dataset(42, 300, TODAY).time_entries(
                from_=TODAY.replace(day=10), to=TODAY.replace(day=10)
            )
        )
    )


def test_it_updates_and_deletes_a_generated_entry(sb, harvest):
    target = harvest.json("/v2/time_entries?per_page=3")["time_entries"][2]

    patched = send(
        sb,
        "PATCH",
        f"/v2/time_entries/{target['id']}",
        data={"notes": "Edited", "hours": "2.0"},
    )
    listed = harvest.json("/v2/time_entries?per_page=3")["time_entries"][2]
    changed = harvest.json(f"/v2/time_entries?updated_since={target['updated_at']}")
    deleted = send(sb, "DELETE", f"/v2/time_entries/{target['id']}")
    after = harvest.json("/v2/time_entries")

    assert patched.status_code == 200
    assert listed["notes"] == "Edited" and listed["hours"] == 2.0
    assert listed["updated_at"] > target["updated_at"]
    assert target["id"] in [e["id"] for e in changed["time_entries"]]
    assert deleted.status_code == 200
    assert harvest.get(f"/v2/time_entries/{target['id']}").status_code == 404
    assert after["total_entries"] == 299
    assert target["id"] not in [e["id"] for e in after["time_entries"]]


def test_it_stops_the_running_timer(sb, harvest):
    running = harvest.json("/v2/time_entries?is_running=true")["time_entries"][0]

    stopped = send(sb, "PATCH", f"/v2/time_entries/{running['id']}/stop")

    assert stopped.json()["is_running"] is False
    assert harvest.json("/v2/time_entries?is_running=true")["total_entries"] == 0


def test_it_refuses_unassigned_projects(sb):
    response = send(
        sb,
        "POST",
        "/v2/time_entries",
        json={
            "project_id": 6400001,
            "task_id": 7500005,
            "spent_date": "2026-03-10",
            "hours": 1,
        },
    )

    assert response.status_code == 422


def test_reset_drops_the_overlay(sb, harvest):
    target = harvest.json("/v2/time_entries?per_page=1")["time_entries"][0]
    send(sb, "DELETE", f"/v2/time_entries/{target['id']}")

    sb.reset()

    assert harvest.json(f"/v2/time_entries/{target['id']}") == target


def test_bad_json_gets_422_not_500(sb):
    response = requests.post(
        sb.api_base + "/v2/time_entries",
        data=b"{not json",
        headers={**harvest_headers(), "Content-Type": "application/json"},
        timeout=10,
    )

    assert response.status_code == 422
    assert "JSON" in response.json()["message"]
