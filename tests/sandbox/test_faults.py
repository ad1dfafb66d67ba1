"""Fault knobs, set on sb.knobs or over HTTP (/_sandbox/knobs, /_sandbox/reset)."""

import http.client
import time

import pytest
import requests

from tests.sandbox.conftest import harvest_headers


def set_knobs(sb, **changes) -> requests.Response:
    return requests.post(sb.base_url + "/_sandbox/knobs", json=changes, timeout=10)


def raw_get(sb, path: str) -> tuple[int, bytes, dict]:
    host, port = sb.base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request("GET", path, headers=harvest_headers())
    response = connection.getresponse()
    try:
        body = response.read()
    except http.client.IncompleteRead as partial:
        body = partial.partial
    return response.status, body, dict(response.getheaders())


def test_it_sets_and_resets_knobs_over_http(sb):
    changed = set_knobs(sb, storm_429=2, member_role=True)
    unknown = set_knobs(sb, no_such_knob=1)
    reset = requests.post(sb.base_url + "/_sandbox/reset", timeout=10)

    assert changed.json()["storm_429"] == 2
    assert unknown.status_code == 422
    assert reset.json()["storm_429"] == 0 and reset.json()["member_role"] is False
    assert sb.knobs.storm_429 == 0


def test_a_429_storm_answers_n_requests_then_recovers(sb, harvest):
    set_knobs(sb, storm_429=3, storm_retry_after=1)

    answers = [harvest.get("/v2/company") for _ in range(4)]

    assert [a.status_code for a in answers] == [429, 429, 429, 200]
    assert answers[0].headers["Retry-After"] == "1"


def test_a_429_storm_can_leave_out_retry_after(sb, harvest):
    sb.knobs.storm_429 = 1
    sb.knobs.storm_retry_after = 0

    response = harvest.get("/v2/company")

    assert response.status_code == 429
    assert "Retry-After" not in response.headers


def test_5xx_for_n_requests(sb, harvest):
    sb.knobs.fail_5xx = 2
    sb.knobs.fail_5xx_status = 502

    statuses = [harvest.get("/v2/company").status_code for _ in range(3)]

    assert statuses == [502, 502, 200]


def test_5xx_at_a_rate(sb, harvest):
    sb.knobs.fail_5xx_rate = 0.5

    statuses = [harvest.get("/v2/company").status_code for _ in range(60)]

    assert 10 < statuses.count(503) < 50
    assert statuses.count(200) == 60 - statuses.count(503)


def test_slow_replies(sb, harvest):
    sb.knobs.delay = 0.3

    started = time.perf_counter()
    response = harvest.get("/v2/company")

    assert response.status_code == 200
    assert time.perf_counter() - started >= 0.3


def test_a_body_cut_off_mid_json(sb):
    sb.knobs.truncate_body = 1

    status, body, headers = raw_get(sb, "/api/v2/time_entries")
    _, whole, _ = raw_get(sb, "/api/v2/time_entries")

    assert status == 200
    assert int(headers["Content-Length"]) == len(whole) > len(body) > 0
    assert whole.startswith(body)


def test_an_html_page_with_status_200(sb, harvest):
    sb.knobs.html_200 = 1

    response = harvest.get("/v2/time_entries")

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    with pytest.raises(ValueError):
        response.json()


def test_a_redirect_to_another_host(sb, harvest):
    sb.knobs.redirect_offhost = 1
    sb.knobs.offhost_base = "http://attacker.invalid:9"

    response = harvest.get("/v2/users/me?x=1", allow_redirects=False)

    assert response.status_code == 302
    assert (
        response.headers["Location"] == "http://attacker.invalid:9/api/v2/users/me?x=1"
    )


def test_links_next_on_another_host(sb, harvest):
    sb.knobs.next_link_offhost = True
    sb.knobs.offhost_base = "http://attacker.invalid:9"

    page = harvest.json("/v2/time_entries?per_page=100")
    cursor_page = harvest.json("/v2/clients?per_page=2")

    assert page["links"]["next"].startswith(
        "http://attacker.invalid:9/api/v2/time_entries?"
    )
    assert page["links"]["first"].startswith(sb.api_base)
    assert cursor_page["links"]["next"].startswith(
        "http://attacker.invalid:9/api/v2/clients?"
    )


def test_a_page_that_never_ends(sb, harvest):
    sb.knobs.endless_pages = True
    url = "/v2/clients?per_page=5"
    seen = []

    for _ in range(6):
        page = harvest.json(url)
        seen.append(page["links"]["next"])
        url = page["links"]["next"]

    assert len(set(seen)) == 6
    assert all(page["clients"] for page in [harvest.json(url)])


def test_expire_all_tokens_over_http(sb, harvest):
    oauth_token = sb.issue_tokens()["access_token"]

    before = harvest.get("/v2/company", token=oauth_token).status_code
    set_knobs(sb, expire_all_tokens=True)
    after = harvest.get("/v2/company", token=oauth_token).status_code

    assert (before, after) == (200, 401)
    assert harvest.get("/v2/company").status_code == 200  # the PAT does not expire


def test_revoke_refresh_tokens_over_http(sb):
    from tests.sandbox.test_oauth import token

    tokens = sb.issue_tokens()
    set_knobs(sb, revoke_refresh_tokens=True)

    response = token(
        sb, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )

    assert response.json()["error"] == "invalid_grant"


def test_faults_apply_to_the_api_only_by_default(sb):
    sb.knobs.fail_5xx = 1

    accounts = requests.get(
        sb.id_base + "/api/v2/accounts",
        headers=harvest_headers(account=None),
        timeout=10,
    )

    assert accounts.status_code == 200
    assert sb.knobs.fail_5xx == 1


def test_changing_the_seed_rebuilds_the_data(sb, harvest):
    before = harvest.json("/v2/time_entries?per_page=5")["time_entries"]
    set_knobs(sb, seed=7, entries=50)
    after = harvest.json("/v2/time_entries?per_page=5")

    assert after["total_entries"] == 50
    assert after["time_entries"] != before
