from datetime import date

import pytest

from klips.query import window_dates
from klips.spec import RelativeWindow


@pytest.mark.parametrize(
    ("window", "today", "expected"),
    [
        ("today", date(2026, 12, 9), (date(2026, 12, 9), date(2026, 12, 10))),
        ("yesterday", date(2026, 1, 1), (date(2025, 12, 31), date(2026, 1, 1))),
        ("this_week", date(2026, 12, 13), (date(2026, 12, 7), date(2026, 12, 14))),
        ("last_week", date(2026, 12, 7), (date(2026, 11, 30), date(2026, 12, 7))),
        ("this_month", date(2026, 12, 31), (date(2026, 12, 1), date(2027, 1, 1))),
        ("last_month", date(2026, 1, 15), (date(2025, 12, 1), date(2026, 1, 1))),
        ("this_quarter", date(2026, 5, 20), (date(2026, 4, 1), date(2026, 7, 1))),
        ("last_quarter", date(2026, 2, 1), (date(2025, 10, 1), date(2026, 1, 1))),
        ("this_year", date(2026, 6, 1), (date(2026, 1, 1), date(2027, 1, 1))),
        ("last_year", date(2026, 6, 1), (date(2025, 1, 1), date(2026, 1, 1))),
        ("last_7_days", date(2026, 12, 9), (date(2026, 12, 3), date(2026, 12, 10))),
        ("last_30_days", date(2026, 3, 1), (date(2026, 1, 31), date(2026, 3, 2))),
        ("last_90_days", date(2026, 3, 31), (date(2026, 1, 1), date(2026, 4, 1))),
    ],
)
def test_it_turns_windows_into_half_open_date_ranges(window, today, expected):
    assert window_dates(RelativeWindow(window), today) == expected
