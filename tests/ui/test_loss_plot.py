from __future__ import annotations

import math

import pytest

from studio.ui.loss_plot import Series


def test_series_smooths_with_a_bias_corrected_ema_and_recomputes_on_change():
    s = Series(max_points=100, alpha=0.5)
    for i, y in enumerate([1.0, 3.0, math.nan, 3.0]):
        s.add(i, y)
    # (0.5*1)/0.5 = 1; (0.25 + 1.5)/0.75; a NaN keeps the last value; then 3 folds in.
    assert s.smooth[:3] == pytest.approx([1.0, 7 / 3, 7 / 3])
    assert s.smooth[3] == pytest.approx((0.5 * 1.75 + 1.5) / (0.5 * 0.75 + 0.5))
    s.set_alpha(0.0)
    assert s.smooth[:2] == [1.0, 3.0] and s.smooth[3] == 3.0


def test_series_memory_stays_bounded():
    s = Series(max_points=1000, alpha=0.6)
    for i in range(100_000):
        s.add(i, float(i % 7))
    assert len(s) <= 1000 and len(s.smooth) == len(s.y) == len(s.x)
    assert s.x[-1] == 99_999 and s.x[0] == 0
