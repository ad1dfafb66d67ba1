import pytest

from tests.e2e.stack import Stack


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    running = Stack(data_dir=tmp_path_factory.mktemp("stack")).start()
    yield running
    running.stop()
