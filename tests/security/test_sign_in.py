"""Sign-in: allauth's failed-login limits apply (counts read from the settings), and
production sets the session and CSRF cookies Secure, HttpOnly and SameSite."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]
LOGIN = "/accounts/login/"
BLOCKED = "Too many failed login attempts. Try again later."
PASSWORD = "correct horse battery"


def _limit(scope: str) -> int:
    """The attempt count allauth allows per `scope` ("ip" or "key")."""
    for rule in settings.ACCOUNT_RATE_LIMITS["login_failed"].split(","):
        amount, _period, *per = rule.split("/")
        if per == [scope]:
            return int(amount)
    raise AssertionError(f"no login_failed limit per {scope}")


def _sign_in(client: Client, email: str, password: str):
    return client.post(LOGIN, {"login": email, "password": password})


def test_failed_logins_for_one_address_block_it_even_with_the_right_password(owner):
    client = Client()
    per_address = _limit("key")

    failures = [_sign_in(client, owner.email, "wrong") for _ in range(per_address)]
    blocked = _sign_in(client, owner.email, PASSWORD)

    assert [f.status_code for f in failures] == [200] * per_address
    assert all(BLOCKED not in f.content.decode() for f in failures)
    assert blocked.status_code in (200, 429)
    assert BLOCKED in blocked.content.decode()
    assert "_auth_user_id" not in client.session
    # Another address from elsewhere is not blocked by them.
    other = Client(REMOTE_ADDR="198.51.100.7")
    assert BLOCKED not in _sign_in(other, "teammate@example.com", "x").content.decode()


def test_failed_logins_from_one_address_block_it(owner):
    client = Client(REMOTE_ADDR="203.0.113.9")
    per_ip = _limit("ip")

    failures = [
        _sign_in(client, f"guess{n}@example.com", "wrong") for n in range(per_ip)
    ]
    blocked = _sign_in(client, owner.email, PASSWORD)

    assert all(BLOCKED not in f.content.decode() for f in failures)
    assert BLOCKED in blocked.content.decode()
    assert "_auth_user_id" not in client.session
    signed_in = _sign_in(Client(REMOTE_ADDR="198.51.100.7"), owner.email, PASSWORD)
    assert signed_in.status_code == 302


PRODUCTION_COOKIES = """
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

call_command("migrate", verbosity=0)
call_command("collectstatic", "--no-input", verbosity=0)
get_user_model().objects.create_user("o", "o@example.com", "correct horse battery")
client = Client(HTTP_HOST="dash.example.com")
page = client.get("/accounts/login/", secure=True)
answer = client.post(
    "/accounts/login/",
    {"login": "o@example.com", "password": "correct horse battery",
     "csrfmiddlewaretoken": page.cookies["csrftoken"].value},
    secure=True,
)
print(answer.status_code)
for name in ("sessionid", "csrftoken"):
    cookie = answer.cookies.get(name) or page.cookies[name]
    print(name, bool(cookie["secure"]), bool(cookie["httponly"]), cookie["samesite"])
"""


@pytest.mark.slow
def test_production_cookies_are_secure_httponly_and_samesite(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "SECRET_KEY", "TOKEN_ENCRYPTION_KEYS", "DATABASE_URL"}
    }
    env.update(
        HARVESTDASH_ENV="production",
        SECRET_KEY="k" * 20 + "Zq9-u3Lw_Xe7Rt1Yp0Aa8Bb6Cc4Dd2Ee5Ff",
        TOKEN_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        ALLOWED_HOSTS="dash.example.com",
        DATA_DIR=str(tmp_path),
        REDIS_URL="",
    )

    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", PRODUCTION_COOKIES],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[-4:] == [
        "302",
        "sessionid True True Lax",
        "csrftoken True False Lax",
        "",
    ]
