"""docker-compose.yml and .env.example must agree with what settings read.

Docker does not run on the development machines, so these tests are what keeps
the production files honest.
"""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _settings_variables() -> set[str]:
    sources = (ROOT / "harvestdash" / "settings.py").read_text()
    return set(re.findall(r'env_(?:str|bool|int|list)\(\s*"([A-Z_]+)"', sources))


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_it_runs_the_production_services():
    services = _compose()["services"]

    assert set(services) == {"web", "worker", "beat", "redis", "postgres"}
    assert "gunicorn harvestdash.wsgi:application" in services["web"]["command"]
    assert services["worker"]["command"].startswith("celery -A harvestdash worker")
    assert services["beat"]["command"].startswith("celery -A harvestdash beat")


def test_it_gives_every_stateful_service_a_healthcheck():
    services = _compose()["services"]

    for name in ("web", "worker", "postgres", "redis"):
        assert services[name]["healthcheck"]["test"], name


def test_it_only_sets_variables_that_settings_read():
    environment = _compose()["services"]["web"]["environment"]
    known = _settings_variables()

    unknown = set(environment) - known
    assert not unknown, f"compose sets variables settings never read: {unknown}"
    assert environment["HARVESTDASH_ENV"] == "production"
    assert {"SECRET_KEY", "TOKEN_ENCRYPTION_KEYS", "DATABASE_URL", "REDIS_URL"} <= set(
        environment
    )


def test_it_lists_every_setting_in_env_example():
    listed = set(
        re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE)
    )

    missing = _settings_variables() - listed
    assert not missing, f".env.example does not list: {sorted(missing)}"
