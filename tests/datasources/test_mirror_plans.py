import pytest

from datasources.mirrors import plan_for


@pytest.mark.parametrize(
    ("url", "collection", "conditions"),
    [
        ("/v2/time_entries", "time_entries", []),
        (
            "/v2/time_entries?from=2026-12-01&to=2026-12-31&per_page=2000",
            "time_entries",
            [("spent_date", ">=", "2026-12-01"), ("spent_date", "<=", "2026-12-31")],
        ),
        (
            "/v2/time_entries?is_running=true",
            "time_entries",
            [("is_running", "=", True)],
        ),
        ("/v2/projects?is_active=false", "projects", [("is_active", "=", False)]),
        ("/v2/projects?client_id=42", "projects", [("client.id", "=", 42)]),
        ("/v2/invoices?state=open", "invoices", [("state", "=", "open")]),
        ("/v2/expenses?user_id=7", "expenses", [("user.id", "=", 7)]),
    ],
)
def test_it_turns_supported_parameters_into_conditions(url, collection, conditions):
    query = plan_for(url)

    assert query.collection == collection
    assert [(p.column, p.op, v) for p, v in query.conditions] == conditions


@pytest.mark.parametrize(
    "url",
    [
        "/v2/reports/time/clients?from=20260101&to=20261231",
        "/v2/users/me",
        "/v2/company",
        "/v2/roles",
        "/v2/time_entries?page=2",
        "/v2/time_entries?updated_since=2026-01-01T00:00:00Z",
        "/v2/time_entries?external_reference_id=X-1",
        "/v2/time_entries?from=20261201",
        "/v2/time_entries?is_running=yes",
        "/v2/projects?client_id=abc",
        "/v2/invoices?project_id=5",
        "/v2/users/me/project_assignments",
    ],
)
def test_what_it_cannot_apply_locally_is_fetched_directly(url):
    assert plan_for(url) is None
