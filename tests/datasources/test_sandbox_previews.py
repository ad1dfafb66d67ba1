"""Every pre-built source previewed against the sandbox, as the wizard does it."""

from datetime import UTC, date, datetime, time

import pytest
import time_machine
from django.utils import timezone

from connectors.catalog import services
from connectors.harvest.client import HarvestClient
from connectors.models import Connection
from datasources.actions import preview_source_query
from datasources.relative_dates import resolve, week_start_index
from tests.sandbox.conftest import make_sandbox_connection

sandbox_server = pytest.importorskip("sandbox.server")

RECIPES = services()["harvest"].recipes
SANDBOX_ACCOUNT_ID = 4411001


@pytest.fixture(scope="module")
def sandbox():
    # ~100 general requests in a few seconds would wait out Harvest's real
    # limit; the limiter has its own tests. Reports keep the real limit.
    running = sandbox_server.run_in_thread(seed=42, entries=600, general_limit=1000)
    yield running
    running.stop()


@pytest.fixture
def sandbox_connection(settings, sandbox, owner, workspace) -> Connection:
    settings.HARVEST_API_BASE = sandbox.api_base
    settings.HARVEST_ID_BASE = sandbox.id_base
    return make_sandbox_connection(owner, workspace, SANDBOX_ACCOUNT_ID)


def _expected_path(template: str, connection: Connection) -> str:
    company = HarvestClient(connection, SANDBOX_ACCOUNT_ID).company()
    today = timezone.now().date()
    resolved = resolve(template, today, week_start_index(company["week_start_day"]))
    if resolved.startswith(("/v2/company", "/v2/users/me?")) or resolved in {
        "/v2/users/me"
    }:
        return resolved
    joiner = "&" if "?" in resolved else "?"
    return f"{resolved}{joiner}per_page=2000"


@pytest.mark.parametrize("recipe", RECIPES, ids=[r.slug for r in RECIPES])
def test_every_prebuilt_source_previews_against_the_sandbox(
    recipe, sandbox_connection, workspace
):
    preview = preview_source_query(
        sandbox_connection,
        SANDBOX_ACCOUNT_ID,
        recipe.query_url,
        workspace,
        "harvest",
        recipe.slug,
    )

    assert preview.url == _expected_path(recipe.query_url, sandbox_connection)
    assert preview.bucket == recipe.bucket
    assert preview.total_pages >= 1
    if preview.total_entries and not recipe.row_filters:
        assert preview.records, recipe.slug
    if preview.records:
        inferred_paths = {c["path"] for c in preview.columns}
        missing = set(recipe.default_columns) - inferred_paths
        assert not missing, f"{recipe.slug}: default columns not in data: {missing}"


def test_the_overdue_recipe_keeps_only_overdue_open_invoices(
    settings, sandbox_connection, workspace
):
    # The product's today is held on the day the data was made: Kestrel's net-15
    # and Marlow's late invoices are past due, last month's net-30 ones not yet.
    made_on = date(2026, 11, 20)
    with (
        time_machine.travel(datetime.combine(made_on, time(12), tzinfo=UTC)),
        sandbox_server.run_in_thread(seed=42, entries=600, today=made_on) as earlier,
    ):
        today = timezone.localdate()
        settings.HARVEST_API_BASE = earlier.api_base
        preview = preview_source_query(
            sandbox_connection,
            SANDBOX_ACCOUNT_ID,
            "/v2/invoices?state=open",
            workspace,
            "harvest",
            "invoices-overdue",
        )
        unfiltered = HarvestClient(sandbox_connection, SANDBOX_ACCOUNT_ID).get(
            "/v2/invoices?state=open&per_page=2000"
        )["invoices"]

    overdue = [i["id"] for i in unfiltered if date.fromisoformat(i["due_date"]) < today]
    assert overdue, "the sandbox data should hold overdue invoices"
    assert len(overdue) < len(unfiltered), "and open ones not yet due"
    assert [r["id"] for r in preview.records] == overdue[:20]
    assert all(r["state"] == "open" for r in preview.records)
