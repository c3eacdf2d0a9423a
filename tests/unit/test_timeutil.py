from datetime import UTC, datetime

import pytest

from portal.timeutil import months_before


@pytest.mark.parametrize("moment,months,expected", [
    (datetime(2026, 5, 31, 10, tzinfo=UTC), 3, datetime(2026, 2, 28, 10, tzinfo=UTC)),
    (datetime(2024, 5, 31, 10, tzinfo=UTC), 3, datetime(2024, 2, 29, 10, tzinfo=UTC)),
    (datetime(2026, 2, 15, tzinfo=UTC), 3, datetime(2025, 11, 15, tzinfo=UTC)),
    (datetime(2026, 7, 31, tzinfo=UTC), 1, datetime(2026, 6, 30, tzinfo=UTC)),
    (datetime(2026, 1, 1, tzinfo=UTC), 12, datetime(2025, 1, 1, tzinfo=UTC)),
])
def test_months_before(moment, months, expected):
    assert months_before(moment, months) == expected
