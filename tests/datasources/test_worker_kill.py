"""kill -9 of a Celery worker in the middle of a refresh (real processes)."""

import os
import random

import pytest

from .worker_harness import WorkerStack, kill_mid_refresh

ENTRIES = 30_000  # 15 pages of 2,000
# The issue asks for 20 rounds. They run in the PostgreSQL + Redis pass, the
# production shape; the embedded pass keeps 3 so CI stays well inside its time.
ROUNDS = int(
    os.environ.get("KILL_ROUNDS", "20" if os.environ.get("DATABASE_URL") else "3")
)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    running = WorkerStack(
        data_dir=tmp_path_factory.mktemp("worker-kill"), sandbox_entries=ENTRIES
    ).start()
    yield running
    running.stop()


@pytest.mark.slow
def test_a_killed_worker_leaves_the_previous_version_and_the_next_run_completes(
    stack,
):
    source_id = stack.create_source()
    first = stack.wait_for_run(stack.queue(source_id))
    assert first["status"] == "succeeded", first["error"]
    assert stack.current_version(source_id)["row_count"] == ENTRIES
    # Slow replies, so the kill lands between pages of a refresh.
    stack.knobs(delay=0.2)
    rng = random.Random(5)

    for _ in range(ROUNDS):
        round_ = kill_mid_refresh(stack, source_id, rng)

        assert round_["killed"]["status"] == "running"
        assert round_["killed"]["pages_done"] >= round_["kill_at_page"] > 0
        assert round_["after"] == round_["before"]
        assert round_["after"]["rows_in_file"] == ENTRIES
        assert round_["mirror_after"] == round_["mirror_before"]
        assert round_["recovered"] == [round_["run_id"]]
        assert len(round_["scratch_left_by_kill"]) == 1
        assert round_["scratch_after_recovery"] == []
        assert round_["dead_run"]["status"] == "failed"
        assert "worker stopped" in round_["dead_run"]["error"]
        assert round_["next_run"]["status"] == "succeeded", round_["next_run"]
        assert round_["next_run"]["pages_done"] == ENTRIES // 2000
        assert round_["next_version"]["row_count"] == ENTRIES
        assert round_["next_version"]["rows_in_file"] == ENTRIES
        assert round_["next_version"]["file_name"] != round_["before"]["file_name"]
