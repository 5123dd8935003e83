"""A stopped clock for token tests: time moves only when a test shifts it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    """The clock, stopped at ``START``; ``clock.shift(seconds)`` moves it."""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller
