"""Every shared Harvest fixture against the sandbox's answer for the same endpoint:
same keys, nesting, JSON types and pagination envelope."""

import http.client
import json

import pytest
import requests

from tests.harvest_reference import fixtures_dir
from tests.sandbox.conftest import harvest_headers

FIXTURES = fixtures_dir()
pytestmark = pytest.mark.skipif(
    not FIXTURES.is_dir(),
    reason=f"Harvest fixtures not found at {FIXTURES} (set HARVEST_API_REFERENCE_DIR)",
)

REPORT_WINDOW = "from=20260201&to=20260228"
ENVELOPE = (
    "per_page",
    "total_pages",
    "total_entries",
    "next_page",
    "previous_page",
    "page",
    "links",
)

# fixture file -> sandbox API path (answered with the demo PAT)
API_PATHS = {
    "clients.json": "/v2/clients",
    "company.json": "/v2/company",
    "contacts.json": "/v2/contacts",
    "estimates.json": "/v2/estimates",
    "expense_categories.json": "/v2/expense_categories",
    "expenses.json": "/v2/expenses",
    "invoices.json": "/v2/invoices",
    "projects.json": "/v2/projects",
    "reports_expenses_clients.json": f"/v2/reports/expenses/clients?{REPORT_WINDOW}",
    "reports_project_budget.json": "/v2/reports/project_budget",
    "reports_time_clients.json": f"/v2/reports/time/clients?{REPORT_WINDOW}",
    "reports_time_projects.json": f"/v2/reports/time/projects?{REPORT_WINDOW}",
    "reports_time_tasks.json": f"/v2/reports/time/tasks?{REPORT_WINDOW}",
    "reports_time_team.json": f"/v2/reports/time/team?{REPORT_WINDOW}",
    "reports_uninvoiced.json": f"/v2/reports/uninvoiced?{REPORT_WINDOW}",
    "roles.json": "/v2/roles",
    "task_assignments.json": "/v2/task_assignments",
    "tasks.json": "/v2/tasks",
    "user_assignments.json": "/v2/user_assignments",
    "users.json": "/v2/users",
    "users_me.json": "/v2/users/me",
}
SPECIAL = {
    "README.md",
    "accounts.json",
    "clients_cursor_page1.json",
    "clients_cursor_page2.json",
    "clients_cursor_page3.json",
    "error_401_invalid_token.json",
    "error_429.txt",
    "invoice_messages.json",
    "invoice_payments.json",
    "oauth_token.json",
    "oauth_token_error_invalid_grant.json",
    "oauth_token_refreshed.json",
    "time_entries_page1.json",
    "time_entries_page2.json",
}


def kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    return {int: "int", float: "float", str: "str", list: "list", dict: "dict"}[
        type(value)
    ]


def shape(values: list, path: str = "$") -> dict[str, set[str]]:
    """Kinds seen at every path of a list of JSON values; dicts merged by key."""
    kinds: dict[str, set[str]] = {path: {kind(v) for v in values}}
    dicts = [v for v in values if isinstance(v, dict)]
    for key in {k for d in dicts for k in d}:
        for sub, seen in shape(
            [d[key] for d in dicts if key in d], f"{path}.{key}"
        ).items():
            kinds.setdefault(sub, set()).update(seen)
    lists = [item for v in values if isinstance(v, list) for item in v]
    if lists:
        for sub, seen in shape(lists, f"{path}[]").items():
            kinds.setdefault(sub, set()).update(seen)
    return kinds


def key_sets(values: list, path: str = "$") -> dict[str, set[frozenset]]:
    """The distinct key sets of the objects at every path."""
    found: dict[str, set[frozenset]] = {}
    for value in values:
        if isinstance(value, dict):
            found.setdefault(path, set()).add(frozenset(value))
            for key, sub in value.items():
                for p, sets in key_sets([sub], f"{path}.{key}").items():
                    found.setdefault(p, set()).update(sets)
        elif isinstance(value, list):
            for p, sets in key_sets(value, f"{path}[]").items():
                found.setdefault(p, set()).update(sets)
    return found


def assert_same_shape(expected, actual) -> None:
    expected_keys = key_sets([expected])
    actual_keys = key_sets([actual])
    for path, sets in actual_keys.items():
        if path in expected_keys:
            assert sets == expected_keys[path], f"keys differ at {path}"
    assert set(expected_keys) <= set(actual_keys), (
        "nesting the sandbox never shows: "
        + str(sorted(set(expected_keys) - set(actual_keys)))
    )

    expected_kinds = shape([expected])
    actual_kinds = shape([actual])
    for path, kinds in expected_kinds.items():
        want = kinds - {"null"}
        have = actual_kinds.get(path, set()) - {"null"}
        if want and have:
            assert want == have, f"types differ at {path}: {want} vs {have}"
        if want and not have:
            assert path.endswith(NULL_IN_SANDBOX), f"sandbox has only null at {path}"


# Fields the fixtures show filled but the sandbox data leaves null everywhere (no
# running/timestamp timers with times, no retainers); only these may be null-only.
NULL_IN_SANDBOX = ("$.previous_page", "$.next_page", "$.links.next", "$.links.previous")


def assert_same_envelope(expected: dict, actual: dict) -> None:
    for key in ENVELOPE:
        assert key in actual, f"envelope lacks {key}"
        assert (expected[key] is None) == (actual[key] is None), f"null-ness of {key}"
    for key in ("first", "next", "previous", "last"):
        assert (expected["links"][key] is None) == (actual["links"][key] is None), key


def load(name: str):
    return json.loads((FIXTURES / name).read_text())


def test_every_fixture_is_covered():
    names = {p.name for p in FIXTURES.iterdir()}

    assert names - set(API_PATHS) - SPECIAL == set()


@pytest.mark.parametrize("name", sorted(API_PATHS))
def test_the_api_answer_has_the_fixture_shape(harvest, name):
    expected = load(name)

    actual = harvest.json(API_PATHS[name])

    assert_same_shape(expected, actual)
    if "links" in expected:
        assert_same_envelope(expected, actual)


def test_invoice_payments_and_messages_have_the_fixture_shape(harvest):
    invoices = harvest.json("/v2/invoices?state=paid")["invoices"]
    invoice_id = invoices[0]["id"]

    payments = harvest.json(f"/v2/invoices/{invoice_id}/payments")
    messages = harvest.json(f"/v2/invoices/{invoice_id}/messages")

    assert_same_shape(load("invoice_payments.json"), payments)
    assert_same_shape(load("invoice_messages.json"), messages)
    assert_same_envelope(load("invoice_payments.json"), payments)


def test_time_entry_pages_have_the_fixture_shape(sb, harvest):
    first = harvest.json("/v2/time_entries?from=2025-03-19&to=2026-03-18&per_page=200")
    last = harvest.json(first["links"]["last"])

    assert_same_shape(load("time_entries_page1.json"), first)
    assert_same_envelope(load("time_entries_page1.json"), first)
    assert_same_shape(load("time_entries_page2.json"), last)
    assert_same_envelope(load("time_entries_page2.json"), last)


def test_cursor_pages_have_the_fixture_envelopes(harvest):
    pages = [harvest.json("/v2/clients?is_active=true&per_page=3")]
    while pages[-1]["links"]["next"]:
        pages.append(harvest.json(pages[-1]["links"]["next"]))

    assert len(pages) == 3
    for number, page in enumerate(pages, start=1):
        expected = load(f"clients_cursor_page{number}.json")
        assert_same_shape(expected, page)
        assert_same_envelope(expected, page)


def test_accounts_has_the_fixture_shape(sb):
    response = requests.get(
        sb.id_base + "/api/v2/accounts",
        headers=harvest_headers(account=None),
        timeout=10,
    )

    assert_same_shape(load("accounts.json"), response.json())


def test_401_has_the_fixture_body(harvest):
    response = harvest.get("/v2/users/me", token="expired-token")

    assert response.status_code == 401
    assert response.json() == load("error_401_invalid_token.json")


def test_token_answers_have_the_fixture_shapes(sb):
    from tests.sandbox.test_oauth import decide, token

    _, query = decide(sb, "approve")
    issued = token(sb, grant_type="authorization_code", code=query["code"])
    refreshed = token(
        sb, grant_type="refresh_token", refresh_token=issued.json()["refresh_token"]
    )
    refused = token(
        sb, grant_type="refresh_token", refresh_token=issued.json()["refresh_token"]
    )

    assert_same_shape(load("oauth_token.json"), issued.json())
    assert_same_shape(load("oauth_token_refreshed.json"), refreshed.json())
    assert refused.status_code == 400
    assert_same_shape(load("oauth_token_error_invalid_grant.json"), refused.json())


def test_429_answers_follow_the_fixture_cases(sb, harvest):
    text = (FIXTURES / "error_429.txt").read_text()
    sb.knobs.general_limit = 1
    sb.knobs.reports_limit = 1
    report = f"/v2/reports/time/projects?{REPORT_WINDOW}"

    harvest.get("/v2/time_entries")
    general = harvest.get("/v2/time_entries")
    harvest.get(report)
    reports = harvest.get(report)

    assert (
        "Content-Type: application/json" in text and "Content-Type: text/plain" in text
    )
    assert general.status_code == 429
    assert general.headers["Content-Type"].startswith("application/json")
    assert isinstance(general.json(), dict)
    assert reports.status_code == 429
    assert reports.headers["Content-Type"].startswith("text/plain")
    assert reports.text == "Retry later"
    assert (
        int(general.headers["Retry-After"]) > 0
        and int(reports.headers["Retry-After"]) > 0
    )


def test_no_user_agent_means_400_even_with_good_credentials(sb):
    headers = harvest_headers()
    headers.pop("User-Agent")
    host, port = sb.base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)

    connection.request("GET", "/api/v2/company", headers=headers)
    response = connection.getresponse()

    assert response.status == 400
    assert b"User-Agent" in response.read()
