"""Start the whole app as real processes: sandbox, web, Celery worker and beat.

The stack follows the test run's backend: with DATABASE_URL and REDIS_URL set it
runs on a fresh PostgreSQL database and its own Redis database number; without
them, on the embedded default (SQLite and the filesystem broker) in a temporary
DATA_DIR.
"""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not answer within {timeout} s") from None
            time.sleep(0.2)


@dataclass
class Stack:
    data_dir: Path
    sandbox_entries: int = 3000
    sandbox_seed: int = 42
    web_port: int = field(default_factory=free_port)
    sandbox_port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    database_name: str = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def sandbox_url(self) -> str:
        return f"http://127.0.0.1:{self.sandbox_port}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DATA_DIR=str(self.data_dir),
            HARVEST_ID_BASE=f"{self.sandbox_url}/id",
            HARVEST_API_BASE=f"{self.sandbox_url}/api",
            HARVEST_CLIENT_ID="harvestdash-demo",
            HARVEST_CLIENT_SECRET="harvestdash-demo-secret",
            SITE_URL=self.url,
            SCHEDULER_TICK_SECONDS="2",
            PYTHONUNBUFFERED="1",
        )
        env.pop("DJANGO_SETTINGS_MODULE", None)
        if os.environ.get("DATABASE_URL"):
            base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
            env["DATABASE_URL"] = f"{base}/{self.database_name}"
        if os.environ.get("REDIS_URL"):
            env["REDIS_URL"] = os.environ["REDIS_URL"].rsplit("/", 1)[0] + "/7"
        return env

    def _create_database(self) -> None:
        if not os.environ.get("DATABASE_URL"):
            return
        import psycopg

        self.database_name = f"harvestdash_e2e_{secrets.token_hex(4)}"
        admin_url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.database_name}"')

    def _drop_database(self) -> None:
        if not self.database_name:
            return
        import psycopg

        admin_url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.database_name}" WITH (FORCE)')

    def _flush_redis(self) -> None:
        if os.environ.get("REDIS_URL"):
            import redis

            redis.Redis.from_url(self.env()["REDIS_URL"]).flushdb()

    def _spawn(self, name: str, args: list[str]) -> None:
        log = (self.data_dir / f"{name}.log").open("w")
        self.processes[name] = subprocess.Popen(
            args,
            cwd=ROOT,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [str(BIN / "python"), "manage.py", *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
        return result.stdout

    def start(self) -> "Stack":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._create_database()
        self._flush_redis()
        self.manage("migrate", "--no-input")
        self.manage("create_demo_user")

        python = str(BIN / "python")
        self._spawn(
            "sandbox",
            [
                python,
                "-m",
                "sandbox",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.sandbox_port),
                "--seed",
                str(self.sandbox_seed),
                "--entries",
                str(self.sandbox_entries),
                "--redirect-prefix",
                f"{self.url}/",
            ],
        )
        self._spawn(
            "web",
            [
                python,
                "manage.py",
                "runserver",
                f"127.0.0.1:{self.web_port}",
                "--noreload",
            ],
        )
        self._spawn(
            "worker",
            [
                str(BIN / "celery"),
                "-A",
                "harvestdash",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                "2",
            ],
        )
        self._spawn(
            "beat",
            [str(BIN / "celery"), "-A", "harvestdash", "beat", "--loglevel", "INFO"],
        )
        wait_for_http(f"{self.sandbox_url}/id/api/v2/accounts")
        wait_for_http(f"{self.url}/accounts/login/")
        return self

    def log(self, name: str) -> str:
        return (self.data_dir / f"{name}.log").read_text(errors="replace")

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self._drop_database()
