"""A real Harvest client, tap-harvest from PyPI, syncs every stream from the sandbox.

The tap lives in its own virtualenv (.venv-tap/, made once by
bench/tap_harvest_sync.py); the test skips only when pip cannot install it.
"""

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.tap_harvest_sync import (
    VALIDATOR,
    TapRun,
    TapUnavailable,
    expected_counts,
    start_sandbox,
    sync_every_stream,
    tap_python,
)
from sandbox.server import RunningSandbox
from tests.sandbox.conftest import TODAY

pytestmark = pytest.mark.slow

ENTRIES = 2500


@pytest.fixture(scope="module")
def python() -> Path:
    try:
        return tap_python()
    except TapUnavailable as problem:
        pytest.skip(f"pip could not install tap-harvest: {str(problem)[-300:]}")


@pytest.fixture(scope="module")
def tap_sandbox() -> Iterator[RunningSandbox]:
    running = start_sandbox(ENTRIES, today=TODAY)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def tap_run(
    python: Path, tap_sandbox: RunningSandbox, tmp_path_factory: pytest.TempPathFactory
) -> TapRun:
    return sync_every_stream(tap_sandbox, tmp_path_factory.mktemp("tap"), python)


def test_it_syncs_every_stream_the_tap_offers(tap_run: TapRun) -> None:
    assert len(tap_run.counts) == 25
    assert "CRITICAL" not in tap_run.stderr_tail


def test_it_emits_only_records_valid_against_the_taps_schemas(tap_run: TapRun) -> None:
    assert tap_run.invalid_count == 0, tap_run.invalid


def test_it_emits_as_many_records_as_the_sandbox_holds(
    tap_run: TapRun, tap_sandbox: RunningSandbox
) -> None:
    expected = expected_counts(tap_sandbox.dataset)

    assert tap_run.counts == expected
    assert expected["time_entries"] == ENTRIES
    assert expected["invoice_payments"] > 0 and expected["user_project_tasks"] > 0


def test_the_validator_flags_a_record_outside_its_schema(
    python: Path, tmp_path: Path
) -> None:
    schema = {"type": "object", "properties": {"hours": {"type": ["null", "number"]}}}
    messages = [
        {"type": "SCHEMA", "stream": "time_entries", "schema": schema},
        {"type": "RECORD", "stream": "time_entries", "record": {"hours": 1.5}},
        {"type": "RECORD", "stream": "time_entries", "record": {"hours": "1.5"}},
    ]
    out = tmp_path / "out.jsonl"
    out.write_text("\n".join(json.dumps(m) for m in messages) + "\n")

    checked = subprocess.run(
        [str(python), str(VALIDATOR), str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(checked.stdout)

    assert result["counts"] == {"time_entries": 2}
    assert result["invalid_count"] == 1
    assert result["invalid"][0].startswith("time_entries hours:")
