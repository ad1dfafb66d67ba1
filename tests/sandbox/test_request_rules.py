"""Harvest's request rules: User-Agent, token, account header, member role."""

from sandbox import catalog
from tests.sandbox.conftest import USER_AGENT, harvest_headers


def test_it_answers_400_without_user_agent(sb, harvest):
    headers = harvest_headers()
    headers["User-Agent"] = ""

    response = harvest.session.get(sb.api_base + "/v2/users/me", headers=headers)

    assert response.status_code == 400


def test_it_answers_401_invalid_token_without_account_header(sb, harvest):
    response = harvest.session.get(
        sb.api_base + "/v2/users/me", headers=harvest_headers(account=None)
    )

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


def test_it_answers_401_for_a_forecast_account_id(sb, harvest):
    headers = harvest_headers(account=catalog.FORECAST_ACCOUNT_ID)

    response = harvest.session.get(sb.api_base + "/v2/company", headers=headers)

    assert response.status_code == 401


def test_it_answers_401_for_an_unknown_token(sb, harvest):
    response = harvest.get("/v2/users/me", token="not-a-token")

    assert response.status_code == 401
    assert response.json()["error_description"].startswith("The access token provided")


def test_it_accepts_the_personal_access_token(harvest):
    me = harvest.json("/v2/users/me")

    assert me["id"] == catalog.MAYA
    assert me["access_roles"] == ["administrator"]


def test_it_accepts_query_parameter_credentials(sb, harvest):
    response = harvest.session.get(
        sb.api_base + "/v2/company",
        params={
            "access_token": "sandbox-demo-pat",
            "account_id": catalog.HARVEST_ACCOUNT_ID,
        },
        headers={"User-Agent": USER_AGENT},
    )

    assert response.status_code == 200
    assert response.json()["name"] == catalog.ACCOUNT_NAME


def test_it_logs_whether_the_token_was_valid_never_the_token(sb, harvest):
    harvest.get("/v2/company")
    harvest.get("/v2/company", token="wrong-token")

    last_two = sb.requests[-2:]
    assert [r.headers["Authorization"] for r in last_two] == [True, False]
    assert [r.status for r in last_two] == [200, 401]
    assert "sandbox-demo-pat" not in repr(sb.requests)


def test_it_forbids_member_role_on_admin_lists(sb, harvest):
    sb.knobs.member_role = True

    statuses = {
        path: harvest.get(path).status_code
        for path in (
            "/v2/projects",
            "/v2/users",
            "/v2/clients",
            "/v2/tasks",
            "/v2/projects/6400001",
        )
    }
    me = harvest.json("/v2/users/me")
    own = harvest.json("/v2/time_entries")

    assert set(statuses.values()) == {403}
    assert me["access_roles"] == ["member"]
    assert {e["user"]["id"] for e in own["time_entries"]} == {me["id"]}


def test_it_answers_404_for_unknown_ids_and_paths(harvest):
    assert harvest.get("/v2/projects/1").status_code == 404
    assert harvest.get("/v2/time_entries/1").status_code == 404
    assert harvest.get("/v2/nothing_here").status_code == 404


def test_it_answers_422_for_bad_filters(harvest):
    assert harvest.get("/v2/time_entries?from=yesterday").status_code == 422
    assert harvest.get("/v2/clients?is_active=maybe").status_code == 422
    assert harvest.get("/v2/projects?updated_since=soon").status_code == 422
