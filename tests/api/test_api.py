"""/api/v1: the UI's access rules, through tokens."""

from django.urls import reverse
from rest_framework.test import APIClient

from api.models import ApiToken
from api.tokens import create_token, digest, revoke_token
from datasources.models import RefreshRun, SourceShare
from workspaces.models import Membership


def test_it_lists_only_the_sources_the_user_may_use(world, api_as):
    url = reverse("api:source_list")

    owner = api_as(world.owner).get(url).json()
    viewer = api_as(world.viewer).get(url).json()
    member = api_as(world.member).get(url).json()

    assert [s["name"] for s in owner] == ["More time entries", "Time entries"]
    assert [s["owned"] for s in viewer] == [False, False]
    assert len(viewer) == 2 and owner[1]["row_count"] == 5
    assert member == []


def test_it_lists_only_visible_dashboards(world, api_as):
    url = reverse("api:dashboard_list")

    viewer = api_as(world.viewer).get(url).json()
    member = api_as(world.member).get(url).json()
    outsider = api_as(world.outsider, world.foreign.workspace).get(url).json()

    assert [(d["name"], [k["name"] for k in d["klips"]]) for d in viewer] == [
        ("Hours", ["Hours Klip"]),
        ("Projects", ["Projects Klip"]),
    ]
    assert member == []
    assert {d["id"] for d in outsider}.isdisjoint(
        {world.mine.dashboard.pk, world.mine.dashboard_b.pk}
    )


def test_a_refresh_is_queued_and_answers_202(world, api_as):
    source = world.mine.source
    response = api_as(world.viewer).post(
        reverse("api:source_refresh", args=[source.pk])
    )

    run = RefreshRun.objects.get(source=source, trigger="api")
    assert response.status_code == 202
    assert response.json() == {"status": "queued", "run": run.pk}


def test_rows_come_page_by_page_under_modelled_names(world, api_as):
    client = api_as(world.viewer)
    url = reverse("api:source_rows", args=[world.mine.source.pk])

    first = client.get(url, {"page_size": 2}).json()
    last = client.get(url, {"page": 3, "page_size": 2}).json()
    bad = client.get(url, {"page": "0"})

    assert [c["name"] for c in first["columns"]] == [
        "Client name",
        "Project name",
        "Hours",
    ]
    assert first["results"] == [
        ["Acme Corp", "Website", 2.5],
        ["Acme Corp", "Website", 1.0],
    ]
    assert (first["count"], first["next"]) == (5, f"{url}?page=2&page_size=2")
    assert last["results"] == [["Globex", "Website", 0.5]]
    assert last["next"] is None
    assert bad.status_code == 400


def test_a_klips_result_has_rows_and_figure(world, api_as):
    mine = world.mine
    response = api_as(world.viewer).get(
        reverse("api:klip_result", args=[mine.dashboard.pk, mine.klip.pk])
    )

    body = response.json()
    assert body["rows"] == [["Acme Corp", 7.5], ["Globex", 7.75]]
    assert body["figure"]["data"][0]["y"] == [7.5, 7.75]
    assert body["columns"][1] == {
        "name": "Sum of Hours",
        "role": "measure",
        "type": "hours",
    }


def test_a_dashboard_viewer_reads_klips_but_not_the_source(world, api_as):
    mine = world.mine
    SourceShare.objects.filter(grantee=world.viewer).delete()
    client = api_as(world.viewer)

    klip = client.get(
        reverse("api:klip_result", args=[mine.dashboard.pk, mine.klip.pk])
    )
    rows = client.get(reverse("api:source_rows", args=[mine.source.pk]))

    assert (klip.status_code, rows.status_code) == (200, 404)


def test_mismatched_dashboard_and_klip_ids_are_a_404(world, api_as):
    mine = world.mine
    response = api_as(world.owner).get(
        reverse("api:klip_result", args=[mine.dashboard.pk, mine.klip_b.pk])
    )

    assert response.status_code == 404


def test_without_a_valid_token_it_answers_401(world):
    url = reverse("api:source_list")
    anonymous = APIClient().get(url)
    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION="Token hd_not-a-token")

    assert anonymous.status_code == 401
    assert wrong.get(url).status_code == 401


def test_a_revoked_token_stops_on_the_next_request(world):
    token, key = create_token(world.owner, world.mine.workspace)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get(reverse("api:source_list")).status_code == 200

    revoke_token(token)

    assert client.get(reverse("api:source_list")).status_code == 401


def test_a_removed_member_loses_the_api_with_the_workspace(world, api_as):
    client = api_as(world.viewer)
    Membership.objects.filter(user=world.viewer).delete()

    response = client.get(reverse("api:source_list"))

    assert response.status_code == 404


def test_the_token_page_shows_a_new_key_once_and_stores_its_hash(world, client):
    client.force_login(world.owner)

    made = client.post(reverse("api:tokens"), {"name": "script"})
    again = client.get(reverse("api:tokens"))

    key = made.context["new_key"]
    token = ApiToken.objects.get(user=world.owner)
    assert key.startswith("hd_") and len(key) >= 40
    assert token.key_hash == digest(key) and key not in token.key_hash
    assert key in made.content.decode()
    assert key not in again.content.decode()
    assert token.prefix in again.content.decode()


def test_it_throttles_a_user_past_the_rate_with_429(world, api_as, monkeypatch):
    from django.core.cache import cache
    from rest_framework.throttling import UserRateThrottle

    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "3/minute"})
    cache.clear()
    client = api_as(world.owner)
    url = reverse("api:source_list")

    statuses = [client.get(url).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    assert api_as(world.viewer).get(url).status_code == 200
