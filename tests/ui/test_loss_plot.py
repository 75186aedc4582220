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


def _ema(values, alpha):
    acc = weight = 0.0
    out = []
    for v in values:
        acc, weight = alpha * acc + (1 - alpha) * v, alpha * weight + (1 - alpha)
        out.append(acc / weight)
    return out


def test_a_spike_early_in_a_long_run_survives_and_density_is_even(qtbot):
    """20,000 steps of a flat loss with one spike to 3.78 at step 1,200: the Training
    tab keeps the spike (raw and smoothed) and draws early and recent steps equally
    densely (thinning the older half again and again drew the first ~3,300 steps as
    one straight line)."""
    from studio.ui.loss_plot import LossPlot

    plot = LossPlot(max_points=5000)
    qtbot.addWidget(plot)
    values = [0.65 + 0.05 * math.sin(i / 37) for i in range(20_000)]
    values[1200] = 3.78
    for start in range(0, 20_000, 500):  # as the training bridge delivers them
        plot.add_rows([{"step": i, "g_loss": values[i]} for i in range(start, start + 500)])
    plot.flush()
    series = plot.series["g_loss"]
    assert len(series) <= 5000
    assert max(series.y) == 3.78
    alpha = plot.smoothing.value() / 100
    x, y = plot.curves["g_loss"].xData, plot.curves["g_loss"].yData
    assert max(y[x < 2000]) == pytest.approx(max(_ema(values, alpha)))
    early, late = (x < 3300).sum(), (x >= 20_000 - 3300).sum()
    assert early > 300 and 0.8 < early / late < 1.25
    assert (x[1:] >= x[:-1]).all()  # drawn in step order


def test_series_keeps_lows_and_highs_of_equal_buckets():
    s = Series(max_points=100, alpha=0.0)
    for i in range(10_000):
        s.add(i, -5.0 if i == 7_777 else (9.0 if i == 3 else 1.0))
    assert len(s) <= 100 and min(s.y) == -5.0 and max(s.y) == 9.0
    assert s.smooth == s.y  # no smoothing: the drawn values are the data
    gaps = [b - a for a, b in zip(s.x[::2], s.x[2::2], strict=False)]
    assert max(gaps) <= 2 * s.width


def test_sparse_curves_are_marked_and_perplexity_has_its_own_axis(qtbot):
    from studio.ui.loss_plot import LossPlot

    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.set_total(100)
    rows = [{"step": s, "loss": 3.0 - s / 50} for s in range(1, 50)]
    rows += [{"step": 50, "val/loss": 2.0, "val/perplexity": 7.4}]
    plot.add_rows(rows)
    plot.flush()
    # One validation point: drawn as a marker (a dashed line of one point is nothing).
    assert plot.curves["val/loss"].opts["symbol"] == "o"
    assert plot.curves["loss"].opts["symbol"] is None
    # Perplexity is not on the loss axis.
    assert "val/perplexity" in plot.quality_plots
    assert plot.curves["val/perplexity"] not in plot.plot.getPlotItem().listDataItems()


def test_colours_and_places_do_not_depend_on_arrival_order(qtbot):
    from studio.ui.loss_plot import LossPlot

    def draw(order):
        plot = LossPlot()
        qtbot.addWidget(plot)
        plot.set_total(10)
        for name in order:
            plot.add_rows([{"step": 1, name: 1.0}])
        plot.flush()
        colours = {n: c.opts["pen"].color().name() for n, c in plot.curves.items()}
        places = [plot.quality.ci.getItem(0, col) for col in range(len(plot.quality_plots))]
        names = {id(item): name for name, item in plot.quality_plots.items()}
        titles = [plot._titles[names[id(p)]] for p in places]
        return colours, titles

    names = ["d_loss", "g_loss", "sample/share", "sample/distinct"]
    fresh, resumed = draw(names), draw(list(reversed(names)))
    assert fresh == resumed
    assert fresh[1] == ["sample: distinct", "sample: share"]
    assert fresh[0]["d_loss"] != fresh[0]["g_loss"]
