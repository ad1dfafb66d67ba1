"""Settings for the canary test's processes (not a test module of its own).

Every logger at DEBUG, including the ones harvestdash.settings keeps quiet
(urllib3, oauthlib, requests_oauthlib), and a switch that makes the HTTP layer
under the Harvest client raise an unexpected error while the file
DATA_DIR/force-client-failure exists (HARVESTDASH_CANARY_PROCESS=1): a forced exception deep inside the client,
with the token in the frames above it.
"""

import os

from requests.adapters import HTTPAdapter

from harvestdash.settings import *  # noqa: F403
from harvestdash.settings import DATA_DIR, LOGGING

FORCE_FAILURE_FILE = DATA_DIR / "force-client-failure"
EVERY_LOGGER = (
    "django",
    "django.request",
    "django.server",
    "django.db.backends",
    "celery",
    "kombu",
    "urllib3",
    "requests",
    "requests_oauthlib",
    "oauthlib",
    "connectors",
    "datasources",
    "klips",
    "workspaces",
    "allauth",
)
LOGGING = {
    **LOGGING,
    "root": {"handlers": ["console"], "level": "DEBUG"},
    "loggers": {name: {"level": "DEBUG"} for name in EVERY_LOGGER},
}

_original_send = HTTPAdapter.send


def _send_or_fail(self, request, *args, **kwargs):  # type: ignore[no-untyped-def]
    if FORCE_FAILURE_FILE.exists():
        raise RuntimeError("forced failure under the Harvest client (canary test)")
    return _original_send(self, request, *args, **kwargs)


# Only in the stack's processes: pytest imports this file while collecting.
if os.environ.get("HARVESTDASH_CANARY_PROCESS") == "1":
    HTTPAdapter.send = _send_or_fail
