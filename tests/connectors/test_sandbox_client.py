"""The client against the real sandbox: both pagination styles, its 429s."""

import pytest

from connectors.harvest.client import HarvestClient
from connectors.models import Connection
from sandbox.server import run_in_thread
from tests.connectors.conftest import make_connection

ACCOUNT = {"id": 4411001, "name": "Larkspur Studio", "product": "harvest"}


@pytest.fixture(scope="module")
def sandbox():
    running = run_in_thread(seed=42, entries=450)
    yield running
    running.stop()


@pytest.fixture
def pat(harvest_settings, sandbox, owner, workspace) -> Connection:
    harvest_settings.HARVEST_API_BASE = sandbox.api_base
    harvest_settings.HARVEST_ID_BASE = sandbox.id_base
    sandbox.reset()
    return make_connection(
        owner,
        workspace,
        auth_kind=Connection.AuthKind.PERSONAL_TOKEN,
        access_token="sandbox-demo-pat",
        refresh_token="",
        expires_at=None,
        accounts=[ACCOUNT],
    )


def test_page_based_time_entries_arrive_complete(pat):
    pages = list(HarvestClient(pat).iter_pages("/v2/time_entries?per_page=100"))

    ids = [entry["id"] for page in pages for entry in page.records]
    assert len(pages) == pages[0].total_pages > 1
    assert len(ids) == len(set(ids)) == pages[0].total_entries


def test_cursor_based_clients_arrive_complete(pat):
    pages = list(HarvestClient(pat).iter_pages("/v2/clients?per_page=2"))

    ids = [client["id"] for page in pages for client in page.records]
    assert len(pages) > 1
    assert len(ids) == len(set(ids)) == pages[0].total_entries
    assert "cursor=" in pages[1].url


def test_the_sandbox_429_is_waited_out_and_the_walk_completes(pat, sandbox):
    sandbox.knobs.general_limit = 3
    sandbox.knobs.general_window = 1.0

    pages = list(HarvestClient(pat).iter_pages("/v2/time_entries?per_page=50"))

    throttled = [r for r in sandbox.requests if r.status == 429]
    assert throttled
    assert sum(len(p.records) for p in pages) == pages[0].total_entries
    assert sum(p.requests for p in pages) == len(pages) + len(throttled)
