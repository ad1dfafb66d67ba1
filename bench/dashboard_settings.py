"""Settings for bench/dashboard_load.py: the app's own, plus a trivial view."""

from harvestdash.settings import *  # noqa: F403

ROOT_URLCONF = "bench.dashboard_urls"
