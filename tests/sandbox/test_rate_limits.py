"""Harvest's 100 requests / 15 s (general) and 100 / 15 min (reports) limits."""

import time

from sandbox.knobs import Knobs
from tests.sandbox.conftest import harvest_headers


def test_its_default_limits_are_harvests():
    knobs = Knobs()

    assert (knobs.general_limit, knobs.general_window) == (100, 15.0)
    assert (knobs.reports_limit, knobs.reports_window) == (100, 900.0)
    assert knobs.rate_limit_scope == "account"


def test_it_throttles_the_101st_request_and_lets_the_retry_through(sb, harvest):
    sb.knobs.general_window = 2.0

    statuses = [harvest.get("/v2/company").status_code for _ in range(100)]
    throttled = harvest.get("/v2/company")
    retry_after = int(throttled.headers["Retry-After"])
    time.sleep(retry_after)
    retried = harvest.get("/v2/company")

    assert set(statuses) == {200}
    assert throttled.status_code == 429
    assert 1 <= retry_after <= 2
    assert retried.status_code == 200


def test_it_counts_reports_in_their_own_bucket(sb, harvest):
    sb.knobs.reports_limit = 3
    report = "/v2/reports/time/clients?from=20260101&to=20260131"

    statuses = [harvest.get(report).status_code for _ in range(4)]
    throttled = harvest.get(report)

    assert statuses == [200, 200, 200, 429]
    assert throttled.headers["Content-Type"].startswith("text/plain")
    assert 890 <= int(throttled.headers["Retry-After"]) <= 900
    assert harvest.get("/v2/company").status_code == 200


def test_it_counts_per_account_by_default_and_per_token_on_request(sb, harvest):
    sb.knobs.general_limit = 2
    oauth_token = sb.issue_tokens()["access_token"]

    shared = [
        harvest.get("/v2/company", token=t).status_code
        for t in ("sandbox-demo-pat", oauth_token, oauth_token)
    ]
    sb.app.limiter.reset()
    sb.knobs.rate_limit_scope = "token"
    separate = [
        harvest.get("/v2/company", token=t).status_code
        for t in ("sandbox-demo-pat", oauth_token, oauth_token)
    ]

    assert shared == [200, 200, 429]
    assert separate == [200, 200, 200]


def test_it_does_not_count_rejected_requests(sb, harvest):
    sb.knobs.general_limit = 1

    unauthorised = harvest.session.get(
        sb.api_base + "/v2/company", headers=harvest_headers(account=None)
    )
    allowed = harvest.get("/v2/company")

    assert unauthorised.status_code == 401
    assert allowed.status_code == 200
