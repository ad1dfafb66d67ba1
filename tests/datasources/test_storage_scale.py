import resource
import time

import pytest

from datasources.storage import write_version

from .conftest import time_entry
from .test_storage import FakePage

PAGES = 500
PER_PAGE = 2000


def _pages():
    for number in range(1, PAGES + 1):
        base = number * PER_PAGE
        yield FakePage(
            [
                time_entry(base + i, 1.5, client={"id": i % 40, "name": f"C{i % 40}"})
                for i in range(PER_PAGE)
            ],
            number,
            PAGES,
        )


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.slow
def test_a_million_records_stream_through_bounded_memory(source):
    before = _peak_rss_mb()
    started = time.perf_counter()

    version = write_version(source, _pages())

    grown = _peak_rss_mb() - before
    print(
        f"1M records: {time.perf_counter() - started:.1f} s, peak RSS +{grown:.0f} MB"
    )
    assert version.row_count == PAGES * PER_PAGE
    # One page of records is ~2 MB of Python objects; holding all of them would
    # cost well over a gigabyte.
    assert grown < 700, grown
