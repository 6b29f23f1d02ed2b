"""The decoy's sessions fall in waking hours: a decoy whose events sometimes land at 3 a.m. in
Iraq, while its owner only works by day, is a tell for an examiner (tests/vault/test_examiner.py
found one). ``_plausible`` draws a waking moment in the window, or takes the window's end (the
moment of the real session that grows the decoy), never a random night-time moment."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from halqa.vault.decoy import HOUR_WEIGHTS, LOCAL_OFFSET, _plausible

START = datetime(2026, 1, 1, tzinfo=UTC)


@settings(max_examples=500, deadline=None)
@given(offset=st.integers(0, 400 * 24 * 3600), span=st.integers(0, 40 * 24 * 3600), seed=st.integers(0, 2**32))
def test_a_decoy_session_is_at_a_waking_hour_or_at_the_real_sessions_moment(offset, span, seed):
    start = START + timedelta(seconds=offset)
    end = start + timedelta(seconds=span)
    when = _plausible(random.Random(seed), start, end)
    assert start <= when <= end or when == end
    assert when == end or HOUR_WEIGHTS[(when + LOCAL_OFFSET).hour] > 0, (start, end, when)


def test_short_night_windows_take_the_sessions_moment():
    """A two-hour window at night in Iraq holds no waking hour: the decoy's event is the session's own."""
    start = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)  # 03:00 in Iraq
    end = start + timedelta(hours=2)
    assert {_plausible(random.Random(s), start, end) for s in range(50)} == {end}
