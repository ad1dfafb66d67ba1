"""A sandbox per test module (started in-process), plus a small Harvest caller."""

from collections.abc import Iterator
from datetime import date

import pytest
import requests

from sandbox import catalog
from sandbox.server import RunningSandbox, run_in_thread

TODAY = date(2026, 3, 18)  # fixed so that expected values never drift
USER_AGENT = "HarvestDash tests (tests@example.com)"
PAT = "sandbox-demo-pat"


def harvest_headers(token: str = PAT, account: int | None = catalog.HARVEST_ACCOUNT_ID):
    headers = {"Authorization": f"Bearer {token}", "User-Agent": USER_AGENT}
    if account is not None:
        headers["Harvest-Account-Id"] = str(account)
    return headers


def make_sandbox_connection(
    owner, workspace, account_id: int = catalog.HARVEST_ACCOUNT_ID
):
    """A connection made with the sandbox's personal token, reaching its account."""
    from connectors.models import Connection  # Django is set up only by then

    return Connection.objects.create(
        workspace=workspace,
        owner=owner,
        name="Sandbox@Harvest",
        auth_kind=Connection.AuthKind.PERSONAL_TOKEN,
        access_token=PAT,
        accounts=[{"id": account_id, "name": "Sandbox", "product": "harvest"}],
    )


class Harvest:
    """requests against one running sandbox, with Harvest's mandatory headers."""

    def __init__(self, sb: RunningSandbox) -> None:
        self.sb = sb
        self.session = requests.Session()

    def get(self, path_or_url: str, token: str = PAT, **kwargs) -> requests.Response:
        url = path_or_url if "://" in path_or_url else self.sb.api_base + path_or_url
        kwargs.setdefault("timeout", 30)
        return self.session.get(url, headers=harvest_headers(token), **kwargs)

    def json(self, path_or_url: str, **kwargs) -> dict:
        response = self.get(path_or_url, **kwargs)
        assert response.status_code == 200, (response.status_code, response.text[:300])
        return response.json()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    running = run_in_thread(seed=42, entries=300, today=TODAY)
    yield running
    running.stop()


@pytest.fixture
def sb(sandbox: RunningSandbox) -> Iterator[RunningSandbox]:
    """The module's sandbox, reset before each test (knobs, overlay, limits, log)."""
    sandbox.reset()
    yield sandbox
    sandbox.reset()


@pytest.fixture
def harvest(sb: RunningSandbox) -> Harvest:
    return Harvest(sb)
