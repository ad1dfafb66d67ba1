"""Lists Harvest answers only per record: the payments of each invoice, against
the sandbox (its data made on 2026-11-20, the product's clock held there)."""

from datetime import UTC, date, datetime, time

import duckdb
import pytest
import requests
import time_machine

from connectors.catalog import get_recipe
from connectors.harvest.errors import MalformedResponse
from connectors.models import Connection
from datasources.actions import preview_source_query
from datasources.fetching import PREVIEW_PARENT_REQUESTS, parents_of, per_record_for
from datasources.models import DataSource, RefreshRun
from datasources.refresh import refresh_source
from datasources.storage import local_path
from tests.sandbox.conftest import harvest_headers, make_sandbox_connection

sandbox_server = pytest.importorskip("sandbox.server")

ACCOUNT_ID = 4411001
MADE_ON = date(2026, 11, 20)
RECIPE = get_recipe("harvest", "payments-this-year")


@pytest.fixture
def sandbox(settings):
    with (
        time_machine.travel(datetime.combine(MADE_ON, time(12), tzinfo=UTC)),
        sandbox_server.run_in_thread(seed=42, entries=300, today=MADE_ON) as running,
    ):
        settings.HARVEST_API_BASE = running.api_base
        settings.HARVEST_ID_BASE = running.id_base
        yield running


@pytest.fixture
def connection(owner, workspace, sandbox) -> Connection:
    return make_sandbox_connection(owner, workspace, ACCOUNT_ID)


@pytest.fixture
def payments_source(owner, workspace, connection) -> DataSource:
    return DataSource.objects.create(
        workspace=workspace,
        owner=owner,
        connection=connection,
        name="Payments",
        account_id=ACCOUNT_ID,
        recipe=RECIPE.slug,
        query_url=RECIPE.query_url,
    )


def _harvest(sandbox, path: str, **params) -> dict:
    response = requests.get(
        sandbox.api_base + path,
        params=params,
        headers=harvest_headers(account=ACCOUNT_ID),
        timeout=10,
    )
    response.raise_for_status()
    return response.json()


def _invoices_asked_for(sandbox) -> list[dict]:
    """Straight from the sandbox: the invoices the recipe lists, drafts left out."""
    invoices = _harvest(
        sandbox, "/v2/invoices", updated_since="2025-12-31T00:00:00Z", per_page=2000
    )["invoices"]
    return [invoice for invoice in invoices if invoice["state"] != "draft"]


def _payments_this_year(sandbox, invoices: list[dict]) -> dict[int, tuple]:
    found = {}
    for invoice in invoices:
        path = f"/v2/invoices/{invoice['id']}/payments"
        for payment in _harvest(sandbox, path)["invoice_payments"]:
            if payment["paid_date"] >= "2026-01-01":
                found[payment["id"]] = (
                    payment["amount"],
                    payment["paid_date"],
                    invoice["number"],
                    invoice["client"]["name"],
                    invoice["state"],
                )
    return found


def _stored(source: DataSource) -> dict[int, tuple]:
    connection = duckdb.connect()
    try:
        rows = connection.execute(
            'SELECT id, amount, paid_date, "invoice.number", "invoice.client.name", '
            '"invoice.state" FROM read_parquet($p)',
            {"p": str(local_path(source.current_version))},
        ).fetchall()
    finally:
        connection.close()
    return {row[0]: (row[1], str(row[2]), *row[3:]) for row in rows}


def test_it_stores_every_payment_of_this_year_with_its_invoice(
    sandbox, payments_source
):
    invoices = _invoices_asked_for(sandbox)
    expected = _payments_this_year(sandbox, invoices)
    sandbox.app.reset()

    run = refresh_source(RefreshRun.objects.create(source=payments_source).pk)

    payments_source.refresh_from_db()
    assert run.status == RefreshRun.Status.SUCCEEDED, run.error
    assert _stored(payments_source) == expected
    # Partial payments of invoices still open are payments too.
    assert any(row[4] == "open" for row in expected.values())
    assert run.requests == 1 + len(invoices)
    assert (run.pages_done, run.pages_total) == (1 + len(invoices), 1 + len(invoices))
    asked = [r.path for r in sandbox.requests if r.path.endswith("/payments")]
    assert sorted(asked) == sorted(
        f"/api/v2/invoices/{invoice['id']}/payments" for invoice in invoices
    )


def test_a_failed_payments_request_keeps_the_previous_payments(
    sandbox, payments_source
):
    first_invoice = _invoices_asked_for(sandbox)[0]["id"]
    first = refresh_source(RefreshRun.objects.create(source=payments_source).pk)
    payments_source.refresh_from_db()
    kept = _stored(payments_source)
    sandbox.knobs.fault_path_prefix = "/api/v2/invoices/"
    sandbox.knobs.html_200 = 1

    failed = refresh_source(RefreshRun.objects.create(source=payments_source).pk)

    payments_source.refresh_from_db()
    assert first.status == RefreshRun.Status.SUCCEEDED
    assert failed.status == RefreshRun.Status.FAILED
    assert failed.error == (
        f"Harvest answered /v2/invoices/{first_invoice}/payments with a web page "
        "instead of data."
    )
    assert payments_source.current_version == first.version
    assert _stored(payments_source) == kept
    assert len(kept) > 0


def test_the_preview_shows_payments_and_what_a_refresh_will_cost(
    sandbox, connection, workspace
):
    invoices = _invoices_asked_for(sandbox)
    sandbox.app.reset()

    preview = preview_source_query(
        connection, ACCOUNT_ID, RECIPE.query_url, workspace, "harvest", RECIPE.slug
    )

    asked = [r.path for r in sandbox.requests if r.path.endswith("/payments")]
    assert preview.url == (
        "/v2/invoices?updated_since=2025-12-31T00:00:00Z&per_page=2000"
    )
    assert preview.requests_per_refresh == 1 + len(invoices)
    assert 0 < len(asked) <= PREVIEW_PARENT_REQUESTS
    assert preview.records
    assert all(r["paid_date"] >= "2026-01-01" for r in preview.records)
    assert {"invoice.number", "invoice.client.name"} <= {
        c["path"] for c in preview.columns
    }


def test_a_custom_url_on_another_path_is_fetched_as_it_is():
    assert per_record_for("harvest", RECIPE.slug, RECIPE.query_url) == RECIPE.per_record
    assert per_record_for("harvest", RECIPE.slug, "/v2/invoices?state=paid")
    assert per_record_for("harvest", RECIPE.slug, "/v2/projects") is None
    assert per_record_for("harvest", "invoices-open", "/v2/invoices") is None


def test_a_listed_record_without_an_id_is_a_clear_error():
    records = [{"id": 1, "state": "open"}, {"id": "x", "state": "paid"}]

    with pytest.raises(MalformedResponse, match="without a numeric id"):
        parents_of(records, RECIPE.per_record, MADE_ON)
    assert parents_of(
        [{"id": 3, "state": "draft"}, {"id": 4, "state": "paid", "number": "7"}],
        RECIPE.per_record,
        MADE_ON,
    ) == [
        {
            "number": "7",
            "client": None,
            "currency": None,
            "amount": None,
            "state": "paid",
            "id": 4,
        }
    ]
