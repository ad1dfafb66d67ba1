"""The version poll: a cheap answer per Klip that changes when its data does."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from datasources.models import DataSource
from tests.klips.conftest import ENTRIES, write_version
from tests.klips.helpers import make_dashboard, make_klip


def _versions(client, dashboard) -> dict:
    response = client.get(reverse("klips:dashboard_versions", args=[dashboard.pk]))
    assert response.status_code == 200
    return response.json()["klips"]


def test_it_changes_a_klips_version_after_a_refresh_or_a_failure(
    owner_client, workspace, owner, time_entries
):
    dashboard = make_dashboard(workspace, owner)
    klip = make_klip(dashboard, time_entries)
    first_version = time_entries.current_version.pk
    data_url = reverse("klips:klip_data", args=[dashboard.pk, klip.pk])

    before = _versions(owner_client, dashboard)[str(klip.pk)]
    drawn = owner_client.get(data_url).json()
    newer = write_version(time_entries, ENTRIES[:2])
    after_refresh = _versions(owner_client, dashboard)[str(klip.pk)]
    DataSource.objects.filter(pk=time_entries.pk).update(status=DataSource.Status.STALE)
    after_failure = _versions(owner_client, dashboard)[str(klip.pk)]

    assert before["version"] == drawn["version"] == str(first_version)
    assert after_refresh["version"] == str(newer.pk)
    assert after_refresh["as_of"] == newer.created_at.isoformat()
    assert (after_failure["version"], after_failure["stale"]) == (f"{newer.pk}s", True)


def test_it_answers_in_the_same_queries_for_one_klip_or_ten(
    owner_client, workspace, owner, time_entries
):
    small = make_dashboard(workspace, owner, name="Small")
    large = make_dashboard(workspace, owner, name="Large")
    make_klip(small, time_entries)
    for number in range(10):
        make_klip(large, time_entries, name=f"Klip {number}")
    _versions(owner_client, small)

    with CaptureQueriesContext(connection) as one:
        _versions(owner_client, small)
    with CaptureQueriesContext(connection) as ten:
        assert len(_versions(owner_client, large)) == 10

    assert len(ten.captured_queries) == len(one.captured_queries)


def test_it_hides_another_workspaces_dashboard(client, outsider, workspace, owner):
    dashboard = make_dashboard(workspace, owner)
    client.force_login(outsider)

    for name in ("dashboard_versions", "dashboard_tv"):
        response = client.get(reverse(f"klips:{name}", args=[dashboard.pk]))
        assert response.status_code == 404


def test_tv_mode_shows_the_klips_without_the_app_chrome(
    owner_client, workspace, owner, time_entries
):
    dashboard = make_dashboard(workspace, owner)
    klip = make_klip(dashboard, time_entries)

    page = owner_client.get(
        reverse("klips:dashboard_tv", args=[dashboard.pk]) + "?person=Ada"
    ).content.decode()

    data_url = reverse("klips:klip_data", args=[dashboard.pk, klip.pk])
    assert 'class="topbar"' not in page
    assert f'data-data-url="{data_url}?person=Ada"' in page
    assert 'data-editable="false"' in page
    assert reverse("klips:dashboard_versions", args=[dashboard.pk]) in page
    assert reverse("klips:klip_edit", args=[dashboard.pk, klip.pk]) not in page
