"""Run tap-harvest against the sandbox: executed by the tap's own virtualenv.

tap-harvest hard-codes Harvest's hosts (REFRESH_URL in tap_harvest.client and
the base_url set in Client.__init__). This wrapper points both at the origins
named by SANDBOX_ID_BASE and SANDBOX_API_BASE, then hands over to the tap's
own entry point with the command line unchanged:

    SANDBOX_ID_BASE=http://127.0.0.1:8010/id SANDBOX_API_BASE=http://127.0.0.1:8010/api \
        .venv-tap/bin/python bench/tap_harvest_run.py --config c.json --catalog k.json

Nothing else of the tap is touched, so requests, pagination, parsing and
schemas are the tap's as published.
"""

import os

import tap_harvest
import tap_harvest.client


def point_at_sandbox() -> None:
    id_base = os.environ["SANDBOX_ID_BASE"].rstrip("/")
    api_base = os.environ["SANDBOX_API_BASE"].rstrip("/")
    tap_harvest.client.REFRESH_URL = f"{id_base}/api/v2"
    original_init = tap_harvest.client.Client.__init__

    def init_on_sandbox(self, config) -> None:  # type: ignore[no-untyped-def]
        original_init(self, config)
        self.base_url = f"{api_base}/v2"

    tap_harvest.client.Client.__init__ = init_on_sandbox


if __name__ == "__main__":
    point_at_sandbox()
    tap_harvest.main()
