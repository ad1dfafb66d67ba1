"""A real Harvest client against the sandbox: tap-harvest syncs every stream.

tap-harvest (the Singer tap on PyPI, written against real Harvest) is installed
in its own virtualenv (.venv-tap/, made on first use), pointed at an in-process
sandbox by bench/tap_harvest_run.py, and asked to sync every stream it offers.
Every RECORD is validated against the tap's own SCHEMA message
(bench/tap_harvest_validate.py, in the tap's venv) and the record counts are
compared with the sandbox's totals from sandbox.data.Dataset.

    .venv/bin/python bench/tap_harvest_sync.py                    # 100,000 entries
    .venv/bin/python bench/tap_harvest_sync.py --entries 3000

Prints the counts, any difference, and tap-harvest's time entries per second.
The sandbox's rate limit is raised: this measures the tap and the sandbox, not
Harvest's 100 requests / 15 s (which would cap any client at the same speed).
"""

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import orjson  # noqa: E402

from sandbox.data import Dataset  # noqa: E402
from sandbox.server import RunningSandbox, run_in_thread  # noqa: E402

logger = logging.getLogger(__name__)

TAP_REQUIREMENT = "tap-harvest==3.1.1"
TAP_VENV = REPO / ".venv-tap"
RUNNER = REPO / "bench" / "tap_harvest_run.py"
VALIDATOR = REPO / "bench" / "tap_harvest_validate.py"
# Early enough that every record's updated_at is after it (the tap drops older).
START_DATE = "2000-01-01T00:00:00Z"
USER_AGENT = "tap-harvest on the HarvestDash sandbox (bench@example.com)"


class TapUnavailable(Exception):
    """pip could not install tap-harvest (no package index reachable)."""


@dataclass
class TapRun:
    counts: dict[str, int]
    invalid_count: int
    invalid: list[str]
    seconds: float
    stderr_tail: str
    time_entries_seconds: float = 0.0


def tap_python(venv: Path = TAP_VENV) -> Path:
    """The tap venv's python, creating the venv and installing the tap once."""
    python = venv / "bin" / "python"
    marker = venv / f".installed-{TAP_REQUIREMENT}"
    if marker.exists():
        return python

    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    # The main venv's python may not carry ensurepip's pip upgrade; the new
    # venv's own pip is enough for one pure-Python package and its deps.
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", TAP_REQUIREMENT],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if installed.returncode != 0:
        raise TapUnavailable(installed.stderr[-2000:])
    marker.touch()
    return python


def expected_counts(dataset: Dataset) -> dict[str, int]:
    """What each tap-harvest stream must emit, computed from the sandbox's data."""
    entry_count = 0
    with_reference = 0
    for entry in dataset.time_entries():
        entry_count += 1
        with_reference += 1 if entry.get("external_reference") else 0
    invoices = dataset.invoices()
    estimates = dataset.estimates()
    users = dataset.users()
    user_projects = [
        assignment
        for user in users
        for assignment in dataset.project_assignments(user["id"])
    ]
    return {
        "clients": len(dataset.clients()),
        "contacts": len(dataset.contacts()),
        "estimate_item_categories": len(dataset.estimate_item_categories()),
        "estimate_line_items": sum(len(e["line_items"]) for e in estimates),
        "estimate_messages": sum(
            len(dataset.estimate_messages(e["id"])) for e in estimates
        ),
        "estimates": len(estimates),
        "expense_categories": len(dataset.expense_categories()),
        "expenses": sum(1 for _ in dataset.expenses()),
        "external_reference": with_reference,
        "invoice_item_categories": len(dataset.invoice_item_categories()),
        "invoice_line_items": sum(len(i["line_items"]) for i in invoices),
        "invoice_messages": sum(
            len(dataset.invoice_messages(i["id"])) for i in invoices
        ),
        "invoice_payments": sum(
            len(dataset.invoice_payments(i["id"])) for i in invoices
        ),
        "invoices": len(invoices),
        "project_tasks": len(dataset.task_assignments()),
        "project_users": len(dataset.user_assignments()),
        "projects": len(dataset.projects()),
        "roles": len(dataset.roles()),
        "tasks": len(dataset.tasks()),
        "time_entries": entry_count,
        "time_entry_external_reference": with_reference,
        "user_project_tasks": sum(len(a["task_assignments"]) for a in user_projects),
        "user_projects": len(user_projects),
        "user_roles": sum(len(role["user_ids"]) for role in dataset.roles()),
        "users": len(users),
    }


def _config(sb: RunningSandbox) -> dict:
    # A refresh token per tap invocation: the sandbox rotates refresh tokens
    # (the stricter reading of Harvest), and the tap spends one at start-up.
    tokens = sb.issue_tokens()
    return {
        "refresh_token": tokens["refresh_token"],
        "client_id": sb.knobs.client_id,
        "client_secret": sb.knobs.client_secret,
        "start_date": START_DATE,
        "user_agent": USER_AGENT,
        "request_timeout": 120,
    }


def _select_all(catalog: dict) -> dict:
    for stream in catalog["streams"]:
        for entry in stream["metadata"]:
            if entry["breadcrumb"] == []:
                entry["metadata"]["selected"] = True
    return catalog


@dataclass
class TapTarget:
    """Where the tap runs: the sandbox's two bases and a fresh config per run."""

    id_base: str
    api_base: str
    config: Callable[[], dict]


def _target(sb: RunningSandbox) -> TapTarget:
    return TapTarget(sb.id_base, sb.api_base, lambda: _config(sb))


def _run(python: Path, sb: RunningSandbox | TapTarget, workdir: Path, *args: str):
    target = sb if isinstance(sb, TapTarget) else _target(sb)
    config_path = workdir / f"config-{time.monotonic_ns()}.json"
    config_path.write_text(json.dumps(target.config()))
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "SANDBOX_ID_BASE": target.id_base,
        "SANDBOX_API_BASE": target.api_base,
    }
    out_path = workdir / f"out-{time.monotonic_ns()}.jsonl"
    started = time.perf_counter()
    with out_path.open("w") as out:
        finished = subprocess.run(
            [str(python), str(RUNNER), "--config", str(config_path), *args],
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            timeout=3600,
        )
    seconds = time.perf_counter() - started
    if finished.returncode != 0:
        raise RuntimeError(
            f"tap-harvest {' '.join(args)} failed:\n{finished.stderr[-4000:]}"
        )
    return out_path, seconds, finished.stderr


def sync_every_stream(
    sb: RunningSandbox, workdir: Path, python: Path | None = None
) -> TapRun:
    """Discover, select every stream, sync; validate and count the output."""
    python = python or tap_python()
    catalog_out, _, _ = _run(python, sb, workdir, "--discover")
    catalog_path = workdir / "catalog.json"
    catalog_path.write_text(
        json.dumps(_select_all(json.loads(catalog_out.read_text())))
    )

    first_logged = len(sb.requests)
    out_path, seconds, stderr = _run(
        python, sb, workdir, "--catalog", str(catalog_path)
    )
    finished_at = time.time()
    checked = subprocess.run(
        [str(python), str(VALIDATOR), str(out_path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    )
    result = json.loads(checked.stdout)
    return TapRun(
        counts=result["counts"],
        invalid_count=result["invalid_count"],
        invalid=result["invalid"],
        seconds=seconds,
        stderr_tail=stderr[-2000:],
        time_entries_seconds=_stream_seconds(
            sb.requests[first_logged:], "/api/v2/time_entries", finished_at
        ),
    )


@dataclass
class TapStream:
    records: int
    started_at: float  # time.time() when the tap was started
    finished_at: float  # and when it exited


def sync_one_stream(
    python: Path, target: TapTarget, workdir: Path, stream: str
) -> TapStream:
    """Discover, select only `stream`, sync it; count its RECORD messages."""
    catalog_out, _, _ = _run(python, target, workdir, "--discover")
    catalog = json.loads(catalog_out.read_text())
    # Every stream stays in the catalog (the tap looks its children up there),
    # only `stream` is selected.
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == []:
                metadata["metadata"]["selected"] = entry["stream"] == stream
    catalog_path = workdir / "catalog.json"
    catalog_path.write_text(json.dumps(catalog))

    started_at = time.time()
    out_path, _seconds, _stderr = _run(
        python, target, workdir, "--catalog", str(catalog_path)
    )
    finished_at = time.time()
    records = 0
    with out_path.open("rb") as lines:
        for line in lines:
            message = orjson.loads(line)
            records += message["type"] == "RECORD" and message["stream"] == stream
    out_path.unlink()
    return TapStream(records, started_at, finished_at)


def _stream_seconds(logged: list, path: str, finished_at: float) -> float:
    """From the stream's first request to the tap's next request elsewhere (or
    its exit): the time the tap spent fetching and writing that stream."""
    start = next(r.at for r in logged if r.path == path)
    last = max(r.at for r in logged if r.path == path)
    after = [r.at for r in logged if r.at > last and r.path != path]
    return (min(after) if after else finished_at) - start


def start_sandbox(entries: int, today: date | None = None, **knobs) -> RunningSandbox:
    # tap-harvest uses the first account of /accounts; the sandbox lists the
    # Forecast account first (as Harvest's fixtures do), so offer Harvest only.
    return run_in_thread(
        seed=42,
        entries=entries,
        today=today,
        accounts="harvest_only",
        general_limit=1_000_000,
        **knobs,
    )


def main(argv: list[str] | None = None, out: Callable[[str], None] = print) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    options = parser.parse_args(argv)

    python = tap_python()
    sb = start_sandbox(options.entries)
    try:
        expected = expected_counts(sb.dataset)
        with tempfile.TemporaryDirectory(prefix="tap-harvest-") as workdir:
            run = sync_every_stream(sb, Path(workdir), python)
    finally:
        sb.stop()

    differences = {
        stream: (run.counts.get(stream, 0), wanted)
        for stream, wanted in expected.items()
        if run.counts.get(stream, 0) != wanted
    }
    for stream in sorted(expected):
        out(f"{stream:32} {run.counts.get(stream, 0):>9} (sandbox {expected[stream]})")
    out(f"invalid records: {run.invalid_count} {run.invalid[:5]}")
    out(f"count differences: {differences or 'none'}")
    out(
        f"tap-harvest sync: {run.seconds:.1f} s for {options.entries} entries; "
        f"{options.entries / run.seconds:,.0f} time entries/s (whole sync, "
        "every stream)"
    )
    out(
        f"time_entries stream alone: {run.time_entries_seconds:.1f} s; "
        f"{options.entries / run.time_entries_seconds:,.0f} time entries/s"
    )
    return 0 if not differences and run.invalid_count == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
