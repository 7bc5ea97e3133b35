"""Depreciation schedules against tables computed by hand (the textbook example: cost 100,000 yuan, salvage
4,000 yuan, five years)."""

from __future__ import annotations

import datetime as dt

import pytest

from digipark.assets import depreciation

COST, SALVAGE = 100_000.0, 4_000.0


def test_straight_line_by_year_and_month() -> None:
    # (100,000 - 4,000) / 5 = 19,200 a year, 1,600 a month
    months = depreciation.monthly_schedule(
        cost=COST, salvage=SALVAGE, life_months=60, method="straight_line", in_service_on=dt.date(2024, 3, 15)
    )
    assert len(months) == 60
    assert depreciation.yearly_totals(months) == pytest.approx([19_200.0] * 5)
    assert months[0].depreciation == pytest.approx(1_600.0)
    assert months[-1].net_book_value == pytest.approx(SALVAGE)


def test_double_declining_switches_to_straight_line_for_the_last_two_years() -> None:
    # rate 2/5 = 40 %: 40,000 (book 60,000), 24,000 (36,000), 14,400 (21,600); then (21,600 - 4,000) / 2 = 8,800 twice
    assert depreciation.annual_amounts(COST, SALVAGE, 5, "double_declining") == pytest.approx(
        [40_000.0, 24_000.0, 14_400.0, 8_800.0, 8_800.0]
    )
    months = depreciation.monthly_schedule(
        cost=COST, salvage=SALVAGE, life_months=60, method="double_declining", in_service_on=dt.date(2024, 1, 10)
    )
    assert months[0].depreciation == pytest.approx(40_000 / 12)
    assert months[12].depreciation == pytest.approx(2_000.0)
    assert months[11].net_book_value == pytest.approx(60_000.0)
    assert months[-1].net_book_value == pytest.approx(SALVAGE)


def test_sum_of_years_digits() -> None:
    # 96,000 x 5/15, 4/15, 3/15, 2/15, 1/15
    assert depreciation.annual_amounts(COST, SALVAGE, 5, "sum_of_years") == pytest.approx(
        [32_000.0, 25_600.0, 19_200.0, 12_800.0, 6_400.0]
    )


def test_depreciation_starts_the_month_after_service_and_the_book_value_follows() -> None:
    months = depreciation.monthly_schedule(
        cost=COST, salvage=SALVAGE, life_months=60, method="straight_line", in_service_on=dt.date(2024, 12, 20)
    )
    assert months[0].month == dt.date(2025, 1, 1)
    assert months[-1].month == dt.date(2029, 12, 1)

    def nbv(on: dt.date) -> float:
        return depreciation.net_book_value(
            cost=COST,
            salvage=SALVAGE,
            life_months=60,
            method="straight_line",
            in_service_on=dt.date(2024, 12, 20),
            on=on,
        )

    assert nbv(dt.date(2025, 1, 31)) == COST  # January's depreciation is booked at its end
    assert nbv(dt.date(2025, 7, 1)) == pytest.approx(COST - 6 * 1_600)
    assert nbv(dt.date(2040, 1, 1)) == pytest.approx(SALVAGE)


def test_accelerated_methods_need_whole_years() -> None:
    with pytest.raises(ValueError):
        depreciation.monthly_schedule(
            cost=COST, salvage=0, life_months=30, method="sum_of_years", in_service_on=dt.date(2024, 1, 1)
        )
    with pytest.raises(ValueError):
        depreciation.annual_amounts(COST, 0, 5, "units_of_production")
