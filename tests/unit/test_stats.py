"""Quiz and item statistics (edu/results/stats.py) against Moodle's published fixture, hand-worked cases and
the edges where figures are undefined."""

from __future__ import annotations

import csv
import math
import statistics
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edu.results.stats import (
    DISCRIMINATION_MIN,
    FACILITY_TOO_EASY,
    FACILITY_TOO_HARD,
    SMALL_COHORT,
    ItemStats,
    QuizStats,
    _review_reasons,
    analyse,
    attempt_averages,
    distractor_analysis,
    item_statistics,
    quiz_statistics,
    score_groups,
    select_attempts,
    sum_of_mark_variance,
)
from tests.property_budget import max_examples
from tests.shared_data import shared_path

FIXTURES = ("fixtures", "moodle", "mod", "quiz", "report", "statistics", "tests", "fixtures")
SLOTS = range(1, 8)

# qstats00.csv column -> ItemStats attribute.
COLUMNS = {
    "facility": "facility",
    "sd": "sd",
    "effectiveweight": "effective_weight",
    "covariance": "covariance",
    "markvariance": "mark_variance",
    "othermarkvariance": "other_mark_variance",
    "discriminationindex": "discrimination_index",
    "covariancemax": "covariance_max",
    "discriminativeefficiency": "discriminative_efficiency",
}
# Moodle's stats_from_steps_walkthrough_test::assert_stat_equals: relative 1e-5 for these, 1e-6 for the rest.
LOOSER = {"covariance", "discriminationindex", "discriminativeefficiency", "effectiveweight"}


def _rows(name: str) -> list[dict[str, str]]:
    path: Path = shared_path(*FIXTURES, name)
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def results00() -> list[dict[str, str]]:
    return _rows("results00.csv")


@pytest.fixture(scope="module")
def attempts00(results00: list[dict[str, str]]) -> list[dict[int, float]]:
    return [{slot: float(row[f"slots.{slot}.mark"]) for slot in SLOTS} for row in results00]


# Every slot of quiz 00 has max mark 1: the marks are fractions of 1 (slot 5 is a multiple-response question
# scored in halves, slot 1 has 0.8, slot 3 a third), and qstats00's facility equals the mean mark exactly
# (slot 5: 13 / 25 = 0.52), which it could not if the max mark were anything but 1.
MAX_MARKS00 = dict.fromkeys(SLOTS, 1.0)


def test_fixture_max_marks_are_one(attempts00: list[dict[int, float]]) -> None:
    assert all(0 <= mark <= 1 for attempt in attempts00 for mark in attempt.values())
    assert statistics.fmean(a[5] for a in attempts00) == pytest.approx(0.52)


def test_fixture_totals_agree_with_summarks_column(results00: list[dict[str, str]], attempts00: list[dict[int, float]]) -> None:
    # The summarks column is rounded to 5 decimals (attempt 21: 4.33333); the slot marks carry 7.
    for row, attempt in zip(results00, attempts00, strict=True):
        assert math.fsum(attempt.values()) == pytest.approx(float(row["summarks"]), abs=1e-5)


def test_every_qstats00_column_for_every_slot(attempts00: list[dict[int, float]]) -> None:
    expected_rows = _rows("qstats00.csv")
    assert [int(r["slot"]) for r in expected_rows] == list(SLOTS)
    items = item_statistics(attempts00, MAX_MARKS00)
    checked = 0
    for row in expected_rows:
        item = items[int(row["slot"])]
        assert item.s == 25
        for column, attribute in COLUMNS.items():
            expected = float(row[column])
            precision = 1e-5 if column in LOOSER else 1e-6
            actual = getattr(item, attribute)
            assert actual == pytest.approx(expected, rel=precision, abs=0), f"{column} for slot {row['slot']}"
            checked += 1
    assert checked == 7 * len(COLUMNS) == 7 * (len(expected_rows[0]) - 1)


def test_qstats00_sd_is_also_the_displayed_fraction(attempts00: list[dict[int, float]]) -> None:
    items = item_statistics(attempts00, MAX_MARKS00)
    assert all(item.sd == item.sd_fraction for item in items.values())


# Moodle's stats_from_steps_walkthrough_test::check_quiz_stats_for_quiz_00, asserted to abs(value) * 1.5e-5.
QUIZ00_EXPECTED = {
    "median": 4.5,
    "mean": 4.617333332,
    "standard_deviation": 0.8117265554,
    "skewness": -0.092502502,
    "kurtosis": -0.7073968557,
    "cic": -87.2230935542,
    "error_ratio": 136.8294900795,
    "standard_error": 1.1106813066,
}


def test_quiz_level_figures_moodle_expects(attempts00: list[dict[int, float]]) -> None:
    report = analyse(attempts00, MAX_MARKS00)
    quiz = report.quiz
    assert quiz.attempts == 25
    for name, expected in QUIZ00_EXPECTED.items():
        assert getattr(quiz, name) == pytest.approx(expected, rel=1.5e-5, abs=0), name
    assert quiz.max_total == 7.0
    assert quiz.mean_fraction == pytest.approx(4.617333332 / 7)
    assert quiz.median_fraction == pytest.approx(4.5 / 7)
    assert quiz.small_cohort  # 25 < 30


def test_quiz_level_figures_derived_independently(attempts00: list[dict[int, float]]) -> None:
    """The same figures from textbook definitions via Python's statistics module, not Moodle's k-statistics.

    Skewness: adjusted Fisher-Pearson G1 = sqrt(n(n-1))/(n-2) * g1; kurtosis: the bias-corrected excess
    G2 = (n-1)/((n-2)(n-3)) * ((n+1) g2 + 6), with g1, g2 from population moments; cic: Cronbach's alpha from
    per-slot sample variances. Moodle's k3/k2^1.5 and k4/k2^2 are the same estimators written differently.
    """
    totals = [math.fsum(a.values()) for a in attempts00]
    n = len(totals)
    mean = statistics.fmean(totals)
    m2 = statistics.fmean((t - mean) ** 2 for t in totals)
    m3 = statistics.fmean((t - mean) ** 3 for t in totals)
    m4 = statistics.fmean((t - mean) ** 4 for t in totals)
    g1, g2 = m3 / m2**1.5, m4 / m2**2 - 3
    skew = math.sqrt(n * (n - 1)) / (n - 2) * g1
    kurt = (n - 1) / ((n - 2) * (n - 3)) * ((n + 1) * g2 + 6)
    p = len(SLOTS)
    item_variances = sum(statistics.variance(a[s] for a in attempts00) for s in SLOTS)
    alpha = p / (p - 1) * (1 - item_variances / statistics.variance(totals))
    error_ratio = 100 * math.sqrt(1 - alpha)

    quiz = analyse(attempts00, MAX_MARKS00).quiz
    assert quiz.mean == pytest.approx(mean, rel=1e-12)
    assert quiz.median == statistics.median(totals)
    assert quiz.standard_deviation == pytest.approx(statistics.stdev(totals), rel=1e-12)
    assert quiz.skewness == pytest.approx(skew, rel=1e-9)
    assert quiz.kurtosis == pytest.approx(kurt, rel=1e-9)
    assert quiz.cic == pytest.approx(100 * alpha, rel=1e-9)
    assert quiz.error_ratio == pytest.approx(error_ratio, rel=1e-9)
    assert quiz.standard_error == pytest.approx(error_ratio / 100 * statistics.stdev(totals), rel=1e-9)


def test_attempt_averages_for_quiz00(attempts00: list[dict[int, float]]) -> None:
    # Moodle expects firstattemptsavg = allattemptsavg = 4.617333332 over 25 attempts; every attempt in the
    # fixture is a different user's only attempt, so highest and last (not in Moodle's test) are the same.
    records = [(f"user{i}", 1, math.fsum(a.values()), a) for i, a in enumerate(attempts00)]
    averages = attempt_averages(records)
    for which in ("first", "highest", "last", "all"):
        count, average = averages[which]
        assert count == 25
        assert average == pytest.approx(4.617333332, rel=1.5e-5)


def test_fixture_review_flags(attempts00: list[dict[int, float]]) -> None:
    items = item_statistics(attempts00, MAX_MARKS00)
    # Every item of this random data set discriminates negatively; slot 3 (facility 0.973) is also too easy.
    assert items[3].review_reasons == ("too_easy", "low_discrimination", "negative_discrimination")
    assert items[1].review_reasons == ("low_discrimination", "negative_discrimination")
    assert all(item.needs_review for item in items.values())
    assert analyse(attempts00, MAX_MARKS00).items_to_review == tuple(SLOTS)


# --- hand-computed ---------------------------------------------------------------------------------------------------

# Three attempts at two 1-mark items: totals 2, 1, 0.
SMALL = [{"q1": 1.0, "q2": 1.0}, {"q1": 1.0, "q2": 0.0}, {"q1": 0.0, "q2": 0.0}]
SMALL_MAX = {"q1": 1.0, "q2": 1.0}


def test_hand_computed_items() -> None:
    items = item_statistics(SMALL, SMALL_MAX)
    q1, q2 = items["q1"], items["q2"]
    # q1 marks 1,1,0 (mean 2/3), rest 1,0,0 (mean 1/3): variances (1/9+1/9+4/9)/2 = 1/3 each,
    # covariance (2/9 - 1/9 + 2/9)/2 = 1/6, so discrimination 100 * (1/6) / (1/3) = 50.
    assert q1.facility == pytest.approx(2 / 3)
    assert q1.mark_variance == pytest.approx(1 / 3)
    assert q1.other_mark_variance == pytest.approx(1 / 3)
    assert q1.sd == pytest.approx(math.sqrt(1 / 3))
    assert q1.covariance == pytest.approx(1 / 6)
    assert q1.discrimination_index == pytest.approx(50)
    # Sorted columns pair the same way here, so covariance max = covariance and efficiency is 100 %.
    assert q1.covariance_max == pytest.approx(1 / 6)
    assert q1.discriminative_efficiency == pytest.approx(100)
    # Covariance with the total (deviations 1, 0, -1): (1/3 + 2/3) / 2 = 1/2 for both items: equal weights.
    assert q1.covariance_with_overall_mark == pytest.approx(0.5)
    assert q1.effective_weight == pytest.approx(50)
    assert q2.facility == pytest.approx(1 / 3)
    assert q2.discrimination_index == pytest.approx(50)
    assert q2.effective_weight == pytest.approx(50)


def test_hand_computed_quiz() -> None:
    quiz = analyse(SMALL, SMALL_MAX).quiz
    # Totals 2, 1, 0: mean 1, median 1, sd 1, symmetric so skewness 0, kurtosis needs 4 attempts.
    # cic = 100 * 2/1 * (1 - (1/3 + 1/3) / 1) = 66.67; error ratio = 100 sqrt(1/3); SE = ER * sd / 100.
    assert (quiz.attempts, quiz.mean, quiz.median, quiz.standard_deviation) == (3, 1.0, 1.0, 1.0)
    assert quiz.skewness == pytest.approx(0, abs=1e-15)
    assert quiz.kurtosis is None
    assert quiz.cic == pytest.approx(200 / 3)
    assert quiz.error_ratio == pytest.approx(100 * math.sqrt(1 / 3))
    assert quiz.standard_error == pytest.approx(math.sqrt(1 / 3))
    assert quiz.max_total == 2.0


def test_hand_computed_kurtosis_and_even_median() -> None:
    # Totals 0, 1, 2, 5: mean 2, deviations -2,-1,0,3: sums of powers 14, 18, 98.
    # m2 = 3.5, m3 = 4.5, m4 = 24.5; k2 = 4*3.5/3 = 14/3; k3 = 16*4.5/6 = 12; k4 = 16*(5*24.5 - 9*12.25)/6 = 98/3,
    # so kurtosis = (98/3) / (14/3)^2 = 1.5.
    quiz = quiz_statistics([0, 1, 2, 5], slots=1, sum_mark_variance=0)
    assert quiz.median == 1.5
    assert quiz.skewness == pytest.approx(12 / (14 / 3) ** 1.5)
    assert quiz.kurtosis == pytest.approx(1.5)
    assert (quiz.cic, quiz.error_ratio, quiz.standard_error) == (None, None, None)  # one slot: no cic


def test_scaled_max_marks() -> None:
    # A 2-mark item: facility is mean / 2, sd stays in marks, sd_fraction is sd / 2.
    items = item_statistics([{1: 2.0, 2: 1.0}, {1: 0.0, 2: 0.0}, {1: 1.0, 2: 1.0}], {1: 2.0, 2: 1.0})
    assert items[1].facility == pytest.approx(0.5)
    assert items[1].sd == pytest.approx(1.0)
    assert items[1].sd_fraction == pytest.approx(0.5)


def test_negative_covariance_has_no_effective_weight() -> None:
    attempts = [{1: 2.0, 2: 0.0}, {1: 1.0, 2: 0.5}, {1: 0.0, 2: 1.0}]
    items = item_statistics(attempts, {1: 2.0, 2: 1.0})
    assert items[2].covariance_with_overall_mark is not None and items[2].covariance_with_overall_mark < 0
    assert items[2].effective_weight is None
    assert items[1].effective_weight == pytest.approx(100)
    assert "negative_discrimination" in items[2].review_reasons


def test_slot_missing_from_some_attempts_counts_only_where_present() -> None:
    attempts = [{1: 1.0, 2: 1.0}, {1: 0.0}, {1: 1.0, 2: 0.0}]
    items = item_statistics(attempts, {1: 1.0, 2: 1.0})
    assert (items[1].s, items[2].s) == (3, 2)
    assert items[2].facility == 0.5


# --- edges: undefined figures are None --------------------------------------------------------------------------------


def _no_nan(value: object) -> None:
    for f in fields(value):  # type: ignore[arg-type]
        v = getattr(value, f.name)
        if isinstance(v, float):
            assert math.isfinite(v), f.name


def test_no_attempts() -> None:
    report = analyse([], {1: 1.0})
    assert report.items[1] == ItemStats(s=0, max_mark=1.0, mark_average=None, facility=None)
    quiz = report.quiz
    assert quiz.attempts == 0
    assert (quiz.mean, quiz.median, quiz.standard_deviation, quiz.cic) == (None, None, None, None)
    assert quiz.mean_fraction is None and quiz.median_fraction is None


def test_one_attempt() -> None:
    report = analyse([{1: 1.0, 2: 0.5}], {1: 1.0, 2: 1.0})
    item = report.items[2]
    assert (item.s, item.mark_average, item.facility) == (1, 0.5, 0.5)
    for name in COLUMNS.values():
        if name != "facility":
            assert getattr(item, name) is None, name
    assert item.sd_fraction is None and item.covariance_with_overall_mark is None
    quiz = report.quiz
    assert (quiz.mean, quiz.median) == (1.5, 1.5)
    assert quiz.standard_deviation is None and quiz.skewness is None and quiz.cic is None


def test_two_attempts_have_sd_but_no_shape() -> None:
    quiz = quiz_statistics([1.0, 3.0], slots=2, sum_mark_variance=1.0)
    assert quiz.standard_deviation == pytest.approx(math.sqrt(2))
    assert (quiz.skewness, quiz.kurtosis, quiz.cic, quiz.error_ratio, quiz.standard_error) == (None,) * 5


def test_zero_variance_everywhere() -> None:
    attempts = [{1: 0.7, 2: 0.3}] * 5
    report = analyse(attempts, {1: 1.0, 2: 1.0})
    for item in report.items.values():
        assert item.mark_variance == 0.0 and item.sd == 0.0
        assert item.discrimination_index is None
        assert item.discriminative_efficiency is None
        assert item.effective_weight is None  # every covariance is 0, so the sum of roots is 0
        _no_nan(item)
    quiz = report.quiz
    assert quiz.standard_deviation == 0.0
    assert (quiz.skewness, quiz.kurtosis, quiz.cic, quiz.error_ratio, quiz.standard_error) == (None,) * 5
    _no_nan(quiz)


def test_constant_item_among_varying_ones() -> None:
    attempts = [{1: 0.7, 2: 1.0}, {1: 0.7, 2: 0.0}, {1: 0.7, 2: 0.5}, {1: 0.7, 2: 1.0}]
    items = item_statistics(attempts, {1: 1.0, 2: 1.0})
    assert items[1].mark_variance == 0.0
    assert items[1].discrimination_index is None and items[1].discriminative_efficiency is None
    assert items[1].effective_weight == 0.0
    assert items[2].effective_weight == pytest.approx(100)
    # Slot 2's rest-of-test is constant, so its discrimination index is undefined too.
    assert items[2].other_mark_variance == 0.0 and items[2].discrimination_index is None


def test_zero_max_mark_has_no_facility() -> None:
    items = item_statistics([{1: 0.0}, {1: 0.0}], {1: 0.0})
    assert items[1].facility is None and items[1].sd_fraction is None


def test_cic_rounding_never_reaches_sqrt_of_a_negative() -> None:
    # Perfectly parallel items: cic is exactly 100 in exact arithmetic, error ratio 0.
    attempts = [{1: x, 2: x, 3: x} for x in (0.0, 0.5, 1.0, 0.5, 0.1)]
    quiz = analyse(attempts, {1: 1.0, 2: 1.0, 3: 1.0}).quiz
    assert quiz.cic == pytest.approx(100)
    assert quiz.error_ratio is not None and quiz.error_ratio == pytest.approx(0, abs=1e-5)


@pytest.mark.parametrize(
    ("attempts", "message"),
    [
        ([{1: math.nan}], r"^mark for slot 1 must be a finite number, got nan$"),
        ([{1: math.inf}], r"^mark for slot 1 must be a finite number, got inf$"),
        ([{1: "1"}], r"^mark for slot 1 must be a finite number, got '1'$"),
        ([{1: True}], r"^mark for slot 1 must be a finite number, got True$"),
        ([{1: 1.0}, {9: 1.0}], r"^attempt 1 has marks for unknown slots \[9\]$"),
    ],
)
def test_bad_marks_are_caller_errors(attempts: list[dict[int, object]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        item_statistics(attempts, {1: 1.0})  # type: ignore[arg-type]


def test_bad_max_mark_and_totals_are_caller_errors() -> None:
    with pytest.raises(ValueError, match=r"^max mark for slot 1 must be a finite number, got nan$"):
        item_statistics([], {1: math.nan})
    with pytest.raises(ValueError, match=r"^attempt total must be a finite number, got inf$"):
        quiz_statistics([1.0, math.inf], slots=1, sum_mark_variance=0)
    with pytest.raises(ValueError, match=r"^attempt total must be a finite number, got nan$"):
        attempt_averages([("x", 1, math.nan, None)])
    with pytest.raises(ValueError, match=r"^attempt total must be a finite number, got -inf$"):
        score_groups([1.0, -math.inf])


def test_small_cohort_threshold() -> None:
    assert SMALL_COHORT == 30
    assert quiz_statistics([1.0] * 29, slots=2, sum_mark_variance=0).small_cohort
    assert not quiz_statistics([1.0] * 30, slots=2, sum_mark_variance=0).small_cohort


def test_sum_of_mark_variance_treats_undefined_as_zero() -> None:
    items = item_statistics([{1: 1.0, 2: 0.0}, {1: 0.0}], {1: 1.0, 2: 1.0})
    assert items[2].mark_variance is None
    assert sum_of_mark_variance(items) == pytest.approx(0.5)


# --- review flags ---------------------------------------------------------------------------------------------------


def _with(facility: float, correct_first: bool = True) -> ItemStats:
    """A 10-attempt item with the given facility, correct answers given by the top scorers (or the bottom)."""
    n = 10
    right = round(facility * n)
    attempts = []
    for i in range(n):
        strong = i < n // 2
        mark = 1.0 if (i < right if correct_first else i >= n - right) else 0.0
        attempts.append({1: mark, 2: 1.0 if strong else 0.0, 3: 1.0 if strong else 0.0})
    return item_statistics(attempts, {1: 1.0, 2: 1.0, 3: 1.0})[1]


def test_review_thresholds() -> None:
    assert (FACILITY_TOO_HARD, FACILITY_TOO_EASY, DISCRIMINATION_MIN) == (0.2, 0.95, 20.0)
    assert _with(0.1).review_reasons[0] == "too_hard"
    assert _with(0.5).review_reasons == ()
    easy = [{1: 1.0, 2: float(i % 2)} for i in range(40)] + [{1: 0.0, 2: 0.0}]
    assert item_statistics(easy, {1: 1.0, 2: 1.0})[1].review_reasons[0] == "too_easy"
    assert _with(0.5, correct_first=False).review_reasons == ("low_discrimination", "negative_discrimination")


# --- which attempts count -------------------------------------------------------------------------------------------

RECORDS = [
    ("ann", 1, 3.0, "a1"),
    ("bob", 1, 5.0, "b1"),
    ("ann", 2, 7.0, "a2"),
    ("ann", 3, 7.0, "a3"),
    ("bob", 2, None, "b2"),
    ("cat", 2, 1.0, "c2"),
    ("cat", 1, 2.0, "c1"),
]


def test_select_all() -> None:
    assert select_attempts(RECORDS, "all") == RECORDS


def test_select_first_by_attempt_number_not_position() -> None:
    assert [r[3] for r in select_attempts(RECORDS, "first")] == ["a1", "b1", "c1"]


def test_select_last() -> None:
    assert [r[3] for r in select_attempts(RECORDS, "last")] == ["a3", "b2", "c2"]


def test_select_highest_ties_go_to_the_earliest_attempt_and_missing_totals_count_as_zero() -> None:
    assert [r[3] for r in select_attempts(RECORDS, "highest")] == ["b1", "a2", "c1"]


def test_select_rejects_unknown_choice() -> None:
    with pytest.raises(ValueError, match=r"^which must be one of \('first', 'highest', 'last', 'all'\), got 'average'$"):
        select_attempts(RECORDS, "average")  # type: ignore[arg-type]


def test_attempt_averages_skip_missing_totals() -> None:
    averages = attempt_averages(RECORDS)
    assert averages["all"] == (7, pytest.approx((3 + 5 + 7 + 7 + 1 + 2) / 6))
    assert averages["first"] == (3, pytest.approx((3 + 5 + 2) / 3))
    assert averages["last"] == (3, pytest.approx((7 + 1) / 2))
    assert averages["highest"] == (3, pytest.approx((7 + 5 + 2) / 3))
    assert attempt_averages([("x", 1, None, None)])["all"] == (1, None)


# --- distractor analysis --------------------------------------------------------------------------------------------


def test_distractor_analysis_thirds_of_the_range() -> None:
    totals = [10.0, 9.0, 8.0, 5.0, 2.0, 1.0, 0.0]
    choices = ["a", "a", "b", "c", "c", "b", None]
    result = distractor_analysis(["a", "b", "c", "d"], choices, totals)
    # gap = 10/3: high group totals >= 6.67 (10, 9, 8), low group <= 3.33 (2, 1, 0); 5 is in neither.
    assert (result.high_group, result.low_group, result.attempts, result.unanswered) == (3, 3, 7, 1)
    assert result.high_cutoff == pytest.approx(20 / 3)
    assert result.low_cutoff == pytest.approx(10 / 3)
    by = {o.option: o for o in result.options}
    assert (by["a"].count, by["a"].proportion, by["a"].high_count, by["a"].high_proportion) == (2, 2 / 7, 2, 2 / 3)
    assert (by["a"].low_count, by["a"].low_proportion) == (0, 0.0)
    assert (by["b"].count, by["b"].high_count, by["b"].low_count) == (2, 1, 1)
    assert (by["c"].count, by["c"].high_count, by["c"].low_count) == (2, 0, 1)
    assert (by["d"].count, by["d"].proportion, by["d"].high_proportion) == (0, 0.0, 0.0)
    assert [o.option for o in result.options] == ["a", "b", "c", "d"]


def test_distractor_analysis_multiple_response_and_unknown_ids() -> None:
    result = distractor_analysis(["a", "b"], [["a", "b"], {"a"}, ("gone",), []], [3.0, 2.0, 1.0, 0.0])
    by = {o.option: o for o in result.options}
    assert (by["a"].count, by["b"].count, result.unanswered) == (2, 1, 2)
    # gap 1: high group totals >= 2 (attempts 0 and 1), low group <= 1 (attempts 2 and 3).
    assert (by["a"].high_count, by["a"].low_count) == (2, 0)


def test_distractor_analysis_equal_totals_put_everyone_in_both_groups() -> None:
    result = distractor_analysis(["a"], ["a", None], [4.0, 4.0])
    assert (result.high_group, result.low_group) == (2, 2)


def test_distractor_analysis_empty() -> None:
    result = distractor_analysis(["a"], [], [])
    assert (result.attempts, result.high_cutoff, result.low_cutoff) == (0, None, None)
    assert result.options[0].proportion is None and result.options[0].high_proportion is None
    assert score_groups([]) == (None, None)


def test_distractor_analysis_lengths_must_agree() -> None:
    with pytest.raises(ValueError, match=r"^1 choices but 2 totals$"):
        distractor_analysis(["a"], ["a"], [1.0, 2.0])


# --- figures and rules that `make mutation` found unpinned ---------------------------------------------------------


def test_no_attempts_and_one_attempt_quiz_figures_in_full() -> None:
    assert quiz_statistics([], 3, 0.0, 10.0) == QuizStats(0, None, None, None, None, None, None, None, None, 10.0, True)
    assert quiz_statistics([4.0], 3, 0.0, 10.0) == QuizStats(1, 4.0, 4.0, None, None, None, None, None, None, 10.0, True)
    assert quiz_statistics([4.0], 3, 0.0).max_total is None


def test_analyse_keeps_the_given_max_total() -> None:
    # A quiz whose total is scaled (Moodle's sumgrades vs grade): not the sum of the slots' max marks.
    assert analyse(SMALL, SMALL_MAX, max_total=5.0).quiz.max_total == 5.0
    assert analyse(SMALL, SMALL_MAX).quiz.max_total == 2.0


def test_constant_column_mean_is_exact() -> None:
    # fsum([0.7] * 3) / 3 is 0.6999999999999998: the mean of identical values must be that value.
    assert math.fsum([0.7] * 3) / 3 != 0.7
    assert item_statistics([{1: 0.7}] * 3, {1: 1.0})[1].mark_average == 0.7
    assert quiz_statistics([0.1] * 3, 1, 0.0).mean == 0.1


def test_rounding_noise_in_the_rest_of_the_test_counts_as_constant() -> None:
    # Slot b is 0.2 everywhere, so slot a's "other marks" (total - a) are 0.2 up to rounding: 0.20000000000000004,
    # 0.2, 0.2, 0.19999999999999996. Dividing by that noise's variance would give a discrimination of about -89.
    attempts = [{"a": x, "b": 0.2} for x in (0.1, 0.3, 0.0, 1.0)]
    assert len({(x + 0.2) - x for x in (0.1, 0.3, 0.0, 1.0)}) > 1
    item = item_statistics(attempts, {"a": 1.0, "b": 1.0})["a"]
    assert item.other_mark_variance == 0.0
    assert item.discrimination_index is None
    assert item.covariance == 0.0


def test_items_with_several_attempts_keep_max_mark_and_mean() -> None:
    items = item_statistics([{1: 2.0, 2: 1.0}, {1: 0.0, 2: 0.0}, {1: 0.0, 2: 1.0}], {1: 2.0, 2: 1.0})
    assert (items[1].s, items[1].max_mark, items[1].mark_average) == (3, 2.0, pytest.approx(2 / 3))
    assert items[1].facility == pytest.approx(1 / 3)


def test_single_attempt_items_are_still_flagged_by_facility() -> None:
    items = item_statistics([{1: 0.0, 2: 1.0}], {1: 1.0, 2: 1.0})
    assert items[1].review_reasons == ("too_hard",)
    assert items[2].review_reasons == ("too_easy",)


@pytest.mark.parametrize(
    ("facility", "discrimination", "reasons"),
    [
        (FACILITY_TOO_HARD, None, ()),
        (0.19999, None, ("too_hard",)),
        (FACILITY_TOO_EASY, None, ()),
        (0.95001, None, ("too_easy",)),
        (None, DISCRIMINATION_MIN, ()),
        (None, 19.999, ("low_discrimination",)),
        (None, 0.5, ("low_discrimination",)),
        (None, 0.0, ("low_discrimination",)),
        (None, -0.001, ("low_discrimination", "negative_discrimination")),
        (0.0, -50.0, ("too_hard", "low_discrimination", "negative_discrimination")),
        (None, None, ()),
    ],
)
def test_review_reason_boundaries(facility: float | None, discrimination: float | None, reasons: tuple[str, ...]) -> None:
    assert _review_reasons(facility, discrimination) == reasons


def test_score_groups_use_thirds_of_the_range_above_the_minimum() -> None:
    assert score_groups([3.0, 6.0, 9.0]) == (7.0, 5.0)
    assert score_groups([9.0, 3.0, 6.0]) == (7.0, 5.0)


def test_select_highest_counts_an_ungraded_or_zero_attempt_as_zero() -> None:
    ungraded_first = [("u", 1, None, "u1"), ("u", 2, 0.5, "u2")]
    assert [r[3] for r in select_attempts(ungraded_first, "highest")] == ["u2"]
    zero_later_number_first = [("u", 2, 0.0, "u2"), ("u", 1, 0.5, "u1")]
    assert [r[3] for r in select_attempts(zero_later_number_first, "highest")] == ["u1"]


def test_select_highest_tie_goes_to_the_earliest_attempt_whatever_the_listing_order() -> None:
    records = [("u", 3, 5.0, "u3"), ("u", 1, 5.0, "u1"), ("u", 2, 4.0, "u2")]
    assert [r[3] for r in select_attempts(records, "highest")] == ["u1"]


# --- properties -----------------------------------------------------------------------------------------------------

marks = st.sampled_from([0.0, 0.25, 0.5, 1.0]) | st.floats(min_value=0, max_value=1)


@settings(database=None, max_examples=max_examples(200), deadline=None)
@given(st.integers(1, 5).flatmap(lambda k: st.lists(st.fixed_dictionaries({s: marks for s in range(k)}), max_size=12)))
def test_figures_are_finite_or_none(attempts: list[Mapping[int, float]]) -> None:
    slots = {s: 1.0 for a in attempts for s in a} or {0: 1.0}
    report = analyse(attempts, slots)
    _no_nan(report.quiz)
    for item in report.items.values():
        _no_nan(item)
        if item.facility is not None:
            assert 0 <= item.facility <= 1
        if item.discrimination_index is not None:
            assert -100 - 1e-6 <= item.discrimination_index <= 100 + 1e-6
    weights = [i.effective_weight for i in report.items.values() if i.effective_weight is not None]
    assert not weights or math.fsum(weights) == pytest.approx(100) or math.fsum(weights) == 0
    assert isinstance(report.quiz, QuizStats)
