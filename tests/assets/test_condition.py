"""Condition features on synthetic signals whose values are known in closed form, and the trend-extrapolation
prediction on series with a known growth rate."""

from __future__ import annotations

import math

import numpy as np
import pytest

from digipark.assets import condition, prediction

FS = 10_000.0
T = np.arange(10_000) / FS  # one second: whole periods of every test frequency


def test_a_sine_has_rms_a_over_root_two_crest_root_two_and_kurtosis_one_and_a_half() -> None:
    f = condition.features(3.0 * np.sin(2 * np.pi * 50 * T))
    assert f.rms == pytest.approx(3.0 / math.sqrt(2), rel=1e-9)
    assert f.peak == pytest.approx(3.0, rel=1e-6)
    assert f.crest_factor == pytest.approx(math.sqrt(2), rel=1e-6)
    assert f.kurtosis == pytest.approx(1.5, rel=1e-6)


def test_a_square_wave_and_gaussian_noise() -> None:
    square = condition.features(np.sign(np.sin(2 * np.pi * 50 * T + 0.1)))
    assert (square.rms, square.crest_factor, square.kurtosis) == pytest.approx((1.0, 1.0, 1.0))
    noise = condition.features(np.random.default_rng(7).normal(0, 2.0, 200_000))
    assert noise.rms == pytest.approx(2.0, rel=0.01)
    assert noise.kurtosis == pytest.approx(3.0, abs=0.05)


def test_impulses_raise_kurtosis_and_crest_factor_but_barely_rms() -> None:
    base = np.sin(2 * np.pi * 50 * T)
    hit = base.copy()
    hit[::1000] += 8.0  # ten impacts a second, a bearing defect's signature
    before, after = condition.features(base), condition.features(hit)
    assert after.kurtosis > 5 * before.kurtosis
    assert after.crest_factor > 4 * before.crest_factor
    assert after.rms < 1.5 * before.rms


def test_band_energies_split_the_mean_square_by_frequency() -> None:
    x = 2.0 * np.sin(2 * np.pi * 50 * T) + 1.0 * np.sin(2 * np.pi * 1200 * T)
    low, high, empty = condition.band_energies(x, fs=FS, bands=[(0, 500), (500, 5000), (3000, 4000)])
    assert low == pytest.approx(2.0)  # A^2 / 2
    assert high == pytest.approx(0.5)
    assert empty == pytest.approx(0.0, abs=1e-12)


def test_trend_and_robust_z() -> None:
    fit = condition.trend([0, 1, 2, 3, 4], [1.0, 3.0, 5.0, 7.0, 9.0])
    assert (fit.slope, fit.intercept, fit.slope_se) == pytest.approx((2.0, 1.0, 0.0))
    base = condition.baseline([1.0, 2.0, 3.0, 4.0, 100.0])  # median 3, MAD 1: the outlier does not move it
    assert (base.median, base.scale) == pytest.approx((3.0, condition.MAD_TO_SIGMA))
    assert condition.robust_z(3.0 + 2 * condition.MAD_TO_SIGMA, base) == pytest.approx(2.0)


def _degrading(days: int, onset: int, rate: float, level: float = 1.0, noise: float = 0.0) -> list[float]:
    rng = np.random.default_rng(3)
    return [level * math.exp(rate * max(0, d - onset)) * (1 + noise * rng.standard_normal()) for d in range(days)]


def test_prediction_extrapolates_exponential_growth_to_the_threshold() -> None:
    # ln(RMS) grows 0.02 a day from day 100, so RMS reaches 10 on day 100 + ln(10)/0.02 = 215.1
    days = list(range(200))
    rms = _degrading(200, 100, 0.02)
    seen = prediction.outlook(days, rms, threshold=10.0, params={"window_days": 60, "horizon_days": 30})
    assert seen.slope_per_day == pytest.approx(0.02)
    assert seen.rul_days == pytest.approx(100 + math.log(10) / 0.02 - 199, abs=0.01)
    assert seen.recommend and seen.reason == "rul"
    assert 0 < seen.health < 100


def test_a_flat_noisy_series_has_no_rul_and_recommends_nothing() -> None:
    days = list(range(200))
    rms = _degrading(200, 10_000, 0.0, noise=0.05)
    seen = prediction.outlook(days, rms, threshold=4.5, params={})
    assert seen.rul_days is None and not seen.recommend
    assert seen.health > 90


def test_the_band_contains_the_estimate_and_widens_with_noise() -> None:
    days = list(range(200))
    noisy = prediction.outlook(days, _degrading(200, 120, 0.02, noise=0.08), threshold=10.0, params={})
    assert noisy.rul_low_days is not None and noisy.rul_high_days is not None and noisy.rul_days is not None
    assert noisy.rul_low_days < noisy.rul_days < noisy.rul_high_days


def test_training_picks_the_window_that_backtests_best() -> None:
    days = [float(d) for d in range(300)]
    rms = _degrading(300, 150, 0.015, noise=0.03)
    failed = 150 + math.log(4.5) / 0.015
    params = prediction.train([(days[: int(failed)], rms[: int(failed)], failed)], threshold=4.5)
    assert params["window_days"] in prediction.WINDOWS
    assert params["backtest_failures"] == 1 and params["backtest_mae_days"] is not None
    assert prediction.train([], threshold=4.5)["window_days"] == prediction.DEFAULTS["window_days"]


def test_batch_features_equal_the_single_ones() -> None:
    rows = np.stack([np.sin(2 * np.pi * 50 * T), np.random.default_rng(1).normal(0, 1, T.size), np.zeros(T.size)])
    for row, batch in zip(rows[:2], condition.batch_features(rows)[:2], strict=True):
        single = condition.features(row)
        assert (batch.rms, batch.peak, batch.crest_factor, batch.kurtosis) == pytest.approx(
            (single.rms, single.peak, single.crest_factor, single.kurtosis)
        )
    assert condition.batch_features(rows)[2] == condition.Features(0.0, 0.0, 0.0, 0.0)
