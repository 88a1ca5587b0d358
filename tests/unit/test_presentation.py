"""How pages write dates, times, percentages, CE hours and durations (edu/presentation.py): one format each, the same
whatever the server's locale or the zone a datetime arrives in."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from edu.presentation import FILTERS, clock, day, hours, minutes, moment, pct

BERLIN_SUMMER = timezone(timedelta(hours=2))


def test_a_day_is_written_out_so_no_reader_takes_it_for_another() -> None:
    assert day(date(2025, 3, 12)) == "12 March 2025"
    assert day(date(2024, 12, 3)) == "3 December 2024"  # no leading zero
    assert [day(date(2026, m, 1)).split()[1] for m in (1, 5, 9)] == ["January", "May", "September"]


def test_a_day_of_a_datetime_is_its_utc_day() -> None:
    assert day(datetime(2026, 12, 3, 23, 30, tzinfo=UTC)) == "3 December 2026"
    assert day(datetime(2026, 12, 4, 1, 0, tzinfo=BERLIN_SUMMER)) == "3 December 2026"  # 23:00 UTC the day before
    assert day(datetime(2026, 12, 3, 23, 30)) == "3 December 2026"  # naive: already UTC, as stored


def test_a_moment_carries_its_zone_and_is_converted_to_utc() -> None:
    assert moment(datetime(2026, 12, 3, 14, 5, 9, tzinfo=UTC)) == "3 Dec 2026, 14:05 UTC"
    assert moment(datetime(2026, 12, 3, 14, 5, 9)) == "3 Dec 2026, 14:05 UTC"  # naive is UTC
    assert moment(datetime(2026, 6, 1, 1, 5, tzinfo=BERLIN_SUMMER)) == "31 May 2026, 23:05 UTC"
    assert moment(datetime(2026, 12, 3, 14, 5, 9, tzinfo=UTC), seconds=True) == "3 Dec 2026, 14:05:09 UTC"


def test_a_clock_time_carries_its_zone() -> None:
    assert clock(datetime(2026, 12, 3, 9, 5, 7, tzinfo=UTC)) == "09:05 UTC"
    assert clock(datetime(2026, 12, 3, 9, 5, 7, tzinfo=BERLIN_SUMMER)) == "07:05 UTC"
    assert clock(datetime(2026, 12, 3, 9, 5, 7), seconds=True) == "09:05:07 UTC"


@pytest.mark.parametrize("write", [day, moment, clock])
def test_a_missing_date_or_time_prints_nothing_for_the_sentence_around_it_to_explain(write) -> None:
    assert write(None) == ""


@pytest.mark.parametrize(
    ("fraction", "digits", "written"),
    [
        (0.7, 0, "70 %"),
        (0, 0, "0 %"),
        (1, 0, "100 %"),
        (2 / 3, 0, "67 %"),
        (0.625, 0, "62 %"),  # exactly half: to even, as '%.0f' always did on these pages
        (0.675, 0, "68 %"),
        (Decimal("0.5"), 0, "50 %"),
        (0.6, 1, "60.0 %"),
        (0.6049, 1, "60.5 %"),
        (None, 0, "–"),
        (None, 1, "–"),
    ],
)
def test_a_percentage(fraction, digits, written) -> None:
    assert pct(fraction, digits) == written


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (Decimal("1.50"), "1.5 CE hours"),
        (Decimal("1.00"), "1 CE hour"),
        (Decimal("0.5"), "0.5 CE hours"),
        (Decimal("10"), "10 CE hours"),  # not 1E+1
        (Decimal("0.00"), "0 CE hours"),
        (Decimal("12.25"), "12.25 CE hours"),
        (1, "1 CE hour"),
        (2.5, "2.5 CE hours"),
        (None, "–"),
    ],
)
def test_ce_hours_print_as_on_the_certificate(value, written) -> None:
    assert hours(value) == written


@pytest.mark.parametrize(
    ("value", "written"), [(0, "0 min"), (45, "45 min"), (60, "1 h 00 min"), (125, "2 h 05 min"), (None, "–")]
)
def test_a_duration(value, written) -> None:
    assert minutes(value) == written


def test_every_format_is_a_filter_of_its_own_name() -> None:
    assert {"day": day, "moment": moment, "clock": clock, "pct": pct, "hours": hours, "minutes": minutes} == FILTERS
