"""Gallery dashboards against the sandbox: the sources they create, and that every
gallery Klip answers after one refresh of each source."""

import pytest

from connectors.models import Connection
from connectors.ratelimit import shared_limiter
from datasources.models import DataSource, RefreshRun
from datasources.refresh import refresh_source
from klips import gallery
from klips.actions import klip_payload
from klips.gallery_actions import GalleryError, Target, add_dashboard, add_klips
from klips.models import Klip
from tests.klips.helpers import make_dashboard

sandbox_server = pytest.importorskip("sandbox.server")

ACCOUNT_ID = 4411001
FORECAST_ID = 4411002


@pytest.fixture
def sandbox(settings, tmp_path):
    settings.REDIS_URL = ""
    settings.DATA_DIR = tmp_path
    settings.RATE_LIMIT_STORE = f"sqlite:///{tmp_path / 'ratelimit.sqlite3'}"
    shared_limiter.cache_clear()
    with sandbox_server.run_in_thread(
        seed=42, entries=600, port=0, general_limit=10_000
    ) as running:
        settings.HARVEST_API_BASE = running.api_base
        settings.HARVEST_ID_BASE = running.id_base
        yield running
    shared_limiter.cache_clear()


@pytest.fixture
def target(owner, workspace, sandbox) -> Target:
    connection = Connection.objects.create(
        workspace=workspace,
        owner=owner,
        name="Sandbox@Harvest",
        auth_kind=Connection.AuthKind.PERSONAL_TOKEN,
        access_token="sandbox-demo-pat",
        accounts=[
            {"id": FORECAST_ID, "name": "Sandbox", "product": "forecast"},
            {"id": ACCOUNT_ID, "name": "Sandbox", "product": "harvest"},
        ],
    )
    return Target(workspace, owner, connection, ACCOUNT_ID)


def _refresh_all_queued() -> None:
    for run in RefreshRun.objects.filter(status=RefreshRun.Status.QUEUED):
        finished = refresh_source(run.pk)
        assert finished.status == RefreshRun.Status.SUCCEEDED, (
            finished.source.recipe,
            finished.error,
        )


def test_it_adds_the_team_dashboard_with_its_sources(target):
    dashboard = add_dashboard("team", target)

    sources = DataSource.objects.filter(workspace=target.workspace)
    assert sorted(sources.values_list("recipe", flat=True)) == [
        "running-timers",
        "time-entries-last-30-days",
        "time-entries-this-month",
        "time-entries-this-week",
        "users-capacity",
    ]
    assert dashboard.name == "Team"
    assert list(dashboard.klips.values_list("name", flat=True).order_by("pk")) == [
        gallery.get_klip(slug).name for slug in gallery.get_dashboard("team").klips
    ]
    assert RefreshRun.objects.filter(status=RefreshRun.Status.QUEUED).count() == 5
    # Side by side while they fit in 12 columns, then the next row.
    assert list(dashboard.klips.order_by("pk").values_list("x", "y"))[:4] == [
        (0, 0),
        (6, 0),
        (0, 4),
        (4, 4),
    ]

    again = add_dashboard("agency-overview", target)
    assert DataSource.objects.filter(workspace=target.workspace).count() == 6
    assert again.klips.count() == 6


def test_it_reuses_a_source_of_the_same_recipe_only_on_that_account(target):
    dashboard = make_dashboard(target.workspace, target.owner)
    add_klips(dashboard, [gallery.get_klip("hours-this-week-by-project")], target)
    add_klips(dashboard, [gallery.get_klip("person-day-heatmap")], target)

    klips = list(dashboard.klips.order_by("pk"))
    assert DataSource.objects.count() == 1
    assert [k.spec["sources"] for k in klips] == [[DataSource.objects.get().pk]] * 2
    assert [(k.x, k.y) for k in klips] == [(0, 0), (0, 4)]

    with pytest.raises(GalleryError, match="not reachable"):
        add_klips(
            dashboard,
            [gallery.get_klip("timers-running")],
            Target(target.workspace, target.owner, target.connection, FORECAST_ID),
        )


@pytest.mark.slow
def test_every_gallery_klip_answers_after_a_refresh(target):
    dashboard = make_dashboard(target.workspace, target.owner)
    add_klips(dashboard, list(gallery.KLIPS), target)
    _refresh_all_queued()

    answers = {}
    for klip in Klip.objects.filter(dashboard=dashboard).select_related("dashboard"):
        payload = klip_payload(klip)
        assert "error" not in payload, (klip.name, payload)
        answers[klip.name] = payload["empty"] or "drawn"
        if payload["empty"]:
            assert payload["reason"], klip.name

    assert len(answers) == len(gallery.KLIPS)
    drawn = [name for name, answer in answers.items() if answer == "drawn"]
    # The sandbox agency has budgets, invoices, estimates, expenses, a running
    # timer and this week's time, so all but the overrun list have rows.
    assert set(answers) - set(drawn) <= {"Projects over budget", "Overdue invoices"}
    assert len(drawn) >= 19
