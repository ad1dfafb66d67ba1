"""Many workers meeting an expired token refresh it once, together."""

import json
import threading
import time
import uuid

import pytest
import responses
from django.db import connection as db

from connectors.harvest import tokens
from connectors.models import Connection
from tests.connectors.conftest import CANARY, ID, fixture_json, make_connection

TOKEN_URL = f"{ID}/api/v2/oauth2/token"
REFRESHED = fixture_json("oauth_token_refreshed.json")


@pytest.mark.parametrize("lock_backend", ["file", "redis"])
@pytest.mark.django_db(transaction=True)
@responses.activate
def test_concurrent_refreshes_call_harvest_once(
    settings, owner, workspace, lock_backend
):
    if lock_backend == "redis":
        settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    connection = make_connection(owner, workspace, name=f"race-{uuid.uuid4().hex}")

    def slow_token_endpoint(request):
        time.sleep(0.3)  # long enough for every worker to arrive meanwhile
        return 200, {"Content-Type": "application/json"}, json.dumps(REFRESHED)

    responses.add_callback(responses.POST, TOKEN_URL, callback=slow_token_endpoint)
    results: list[str] = []
    failures: list[BaseException] = []

    def worker() -> None:
        mine = Connection.objects.get(pk=connection.pk)
        try:
            tokens.refresh(mine, stale_access_token=CANARY)
            results.append(mine.access_token)
        except BaseException as error:  # reported by the assertion below
            failures.append(error)
        finally:
            db.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert failures == []
    assert len(responses.calls) == 1
    assert results == [REFRESHED["access_token"]] * 4
    connection.refresh_from_db()
    assert connection.refresh_token == REFRESHED["refresh_token"]
