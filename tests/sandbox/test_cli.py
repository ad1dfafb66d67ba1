"""`python -m sandbox` as its own process: flags, env vars, one log line per request."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from sandbox.__main__ import knobs_from, parse_args
from tests.sandbox.conftest import harvest_headers

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(base_url: str) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            requests.get(base_url + "/_sandbox/health", timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError("sandbox did not start")


def test_it_serves_and_logs_one_line_per_request_without_the_token():
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox",
            "--port",
            str(port),
            "--seed",
            "42",
            "--entries",
            "120",
            "--today",
            "2026-03-18",
        ],
        cwd=REPO,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until_up(base_url)
        page = requests.get(
            base_url + "/api/v2/time_entries?per_page=7",
            headers=harvest_headers(),
            timeout=10,
        )
        denied = requests.get(
            base_url + "/api/v2/company?access_token=leaky",
            headers={"User-Agent": "t"},
            timeout=10,
        )
    finally:
        process.terminate()
        _, log = process.communicate(timeout=10)

    assert page.status_code == 200
    assert page.json()["total_entries"] == 120
    assert denied.status_code == 401
    lines = [line for line in log.splitlines() if "path=/api/v2/time_entries" in line]
    assert len(lines) == 1
    assert "method=GET" in lines[0] and "status=200" in lines[0] and "ms=" in lines[0]
    assert "sandbox-demo-pat" not in log
    assert "leaky" not in log


def test_flags_and_env_vars_become_knobs(monkeypatch):
    monkeypatch.setenv("SANDBOX_SEED", "9")
    monkeypatch.setenv("SANDBOX_RATE_LIMIT_SCOPE", "token")
    monkeypatch.setenv("SANDBOX_REDIRECT_PREFIXES", "http://a.test/ http://b.test/")

    knobs = knobs_from(
        parse_args(
            ["--entries", "500", "--token-lifetime", "60", "--client-id", "other"]
        )
    )

    assert (knobs.seed, knobs.entries, knobs.token_lifetime) == (9, 500, 60)
    assert knobs.rate_limit_scope == "token"
    assert knobs.client_id == "other"
    assert knobs.redirect_prefixes == ["http://a.test/", "http://b.test/"]
    assert os.environ["SANDBOX_SEED"] == "9"


def test_redirect_prefix_flag_repeats():
    knobs = knobs_from(
        parse_args(
            [
                "--redirect-prefix",
                "http://x.test/",
                "--redirect-prefix",
                "http://y.test/",
            ]
        )
    )

    assert knobs.redirect_prefixes == ["http://x.test/", "http://y.test/"]
