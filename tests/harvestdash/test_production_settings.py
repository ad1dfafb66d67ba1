"""Production start refuses unsafe settings; a complete set passes check --deploy."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
GOOD_SECRET = "k" * 20 + "Zq9-u3Lw_Xe7Rt1Yp0Aa8Bb6Cc4Dd2Ee5Ff"


def _manage(args: list[str], tmp_path: Path, **overrides: str):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "SECRET_KEY", "TOKEN_ENCRYPTION_KEYS"}
    }
    env.update(
        HARVESTDASH_ENV="production",
        SECRET_KEY=GOOD_SECRET,
        TOKEN_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        ALLOWED_HOSTS="dash.example.com",
        DATA_DIR=str(tmp_path),
    )
    env.update(overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"DEBUG": "true"}, "DEBUG=true"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"SECRET_KEY": "django-insecure-" + "x" * 60}, "SECRET_KEY"),
        ({"TOKEN_ENCRYPTION_KEYS": ""}, "TOKEN_ENCRYPTION_KEYS"),
        ({"DEBUG": "maybe"}, "is not a boolean"),
    ],
)
def test_it_refuses_to_start_production_unsafely(tmp_path, overrides, complaint):
    result = _manage(["check"], tmp_path, **overrides)

    assert result.returncode != 0
    assert complaint in result.stderr


def test_it_passes_the_deploy_check_with_production_settings(tmp_path):
    result = _manage(["check", "--deploy", "--fail-level", "WARNING"], tmp_path)

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
