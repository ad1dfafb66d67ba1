import pytest
from django.urls import reverse

from datasources.models import DataVersion, RefreshRun

from .conftest import make_source


@pytest.fixture
def shared_source(owner, workspace, connection):
    source = make_source(owner, workspace, connection, shared_with_workspace=True)
    RefreshRun.objects.create(source=source)
    return source


def _urls(source) -> list[tuple[str, str]]:
    run = source.runs.first()
    return [
        ("get", reverse("datasources:source_detail", args=[source.pk])),
        ("get", reverse("datasources:source_edit", args=[source.pk])),
        ("post", reverse("datasources:source_edit", args=[source.pk])),
        ("post", reverse("datasources:source_refresh", args=[source.pk])),
        ("post", reverse("datasources:source_resume", args=[source.pk])),
        ("post", reverse("datasources:source_delete", args=[source.pk])),
        ("get", reverse("datasources:run_progress", args=[source.pk, run.pk])),
    ]


def test_an_outsider_gets_404_on_every_source_url(client, outsider, shared_source):
    client.force_login(outsider)

    statuses = {
        url: getattr(client, method)(url).status_code
        for method, url in _urls(shared_source)
    }

    assert set(statuses.values()) == {404}, statuses
    assert RefreshRun.objects.filter(source=shared_source).count() == 1


def test_a_teammate_sees_a_shared_source_but_cannot_change_it(
    client, teammate, shared_source
):
    client.force_login(teammate)
    detail = reverse("datasources:source_detail", args=[shared_source.pk])
    edit = reverse("datasources:source_edit", args=[shared_source.pk])
    delete = reverse("datasources:source_delete", args=[shared_source.pk])

    assert client.get(detail).status_code == 200
    assert client.get(edit).status_code == 404
    assert client.post(delete).status_code == 404
    assert shared_source.__class__.objects.filter(pk=shared_source.pk).exists()


def test_a_teammate_gets_404_on_an_unshared_source(
    client, teammate, owner, workspace, connection
):
    private = make_source(owner, workspace, connection)
    RefreshRun.objects.create(source=private)
    client.force_login(teammate)

    statuses = {
        url: getattr(client, method)(url).status_code for method, url in _urls(private)
    }

    assert set(statuses.values()) == {404}, statuses


def test_the_source_list_shows_only_visible_sources(
    client, teammate, owner, workspace, connection, shared_source
):
    make_source(owner, workspace, connection, name="Owner only")
    client.force_login(teammate)

    page = client.get(reverse("datasources:source_list")).content.decode()

    assert shared_source.name in page
    assert "Owner only" not in page


def test_run_progress_reports_the_runs_counters(owner_client, shared_source):
    run = shared_source.runs.first()
    run.status = RefreshRun.Status.RUNNING
    run.pages_done, run.pages_total, run.rows, run.requests, run.bytes = (
        3,
        5,
        6000,
        3,
        9,
    )
    run.save()

    progress = owner_client.get(
        reverse("datasources:run_progress", args=[shared_source.pk, run.pk])
    ).json()

    assert progress["status"] == "running"
    assert progress["finished"] is False
    assert (progress["pages_done"], progress["pages_total"], progress["rows"]) == (
        3,
        5,
        6000,
    )
    assert DataVersion.objects.count() == 0
