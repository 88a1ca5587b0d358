"""Quiz and item statistics, computed exactly as Moodle's quiz statistics report computes them.

Pure functions over plain data (no database, no Flask), so the figures can be checked against Moodle's own
published test data (mod/quiz/report/statistics/tests/fixtures/qstats00.csv in moodle/moodle) and reasoned about
without an app. The definitions follow two Moodle classes, line for line where it matters:

* item (per slot) statistics: ``core_question\\statistics\\questions\\calculator`` (question/classes/statistics/
  questions/calculator.php): facility, sd, mark variance, other-mark variance, covariance, covariance max,
  covariance with the overall mark, discrimination index, discriminative efficiency and effective weight;
* quiz (test) statistics: ``quiz_statistics\\calculator`` (mod/quiz/report/statistics/classes/calculator.php):
  mean, median, standard deviation, skewness, kurtosis, coefficient of internal consistency (Cronbach's alpha),
  error ratio and standard error.

Moodle's rules for "which attempts count" (first, highest, last or all attempts of each user) follow
``quiz_report_grade_method_sql`` (mod/quiz/report/reportlib.php), and the high/low groups of the distractor
analysis follow Moodle 1.9's item analysis report (mod/quiz/report/analysis), the last Moodle report that split
learners into groups at all.

Marks are in the slot's own scale (Moodle: ``fraction * maxmark``); an attempt's total is the sum of its slot marks.
Where Moodle would divide by zero, or a figure is undefined for the data (one attempt, zero variance), the figure
is ``None``: never NaN, never an exception.

Why one module of this length: the item and test statistics share the per-slot arrays and Moodle's definitions
refer to each other (discrimination uses the covariance with the rest of the test, alpha the item variances);
kept in one place so each can be checked against Moodle's calculator line for line.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Final, Generic, Literal, TypeVar

S = TypeVar("S", bound=Hashable)
"""A slot key (Moodle numbers slots 1..n; callers may use question ids or anything hashable)."""
U = TypeVar("U", bound=Hashable)
"""A user key, for choosing which attempts count."""
M = TypeVar("M")
"""Whatever the caller carries along with an attempt record (usually its slot marks)."""

WhichAttempts = Literal["first", "highest", "last", "all"]
WHICH_ATTEMPTS: Final[tuple[WhichAttempts, ...]] = ("first", "highest", "last", "all")
"""Moodle's four choices (QUIZ_ATTEMPTFIRST, QUIZ_GRADEHIGHEST, QUIZ_ATTEMPTLAST, QUIZ_GRADEAVERAGE = all)."""

SMALL_COHORT: Final = 30
"""Below this many attempts the report warns that the figures are unreliable.

Classical item statistics are correlations and variances of small samples: the standard error of a correlation
is roughly 1/sqrt(n), about 0.18 at n = 30 and 0.32 at n = 10, which is as large as the thresholds used to flag
items (a discrimination index of 20 %). Thirty is the customary minimum for classical test theory item analysis;
below it an item should not be rewritten on the numbers alone.
"""

FACILITY_TOO_HARD: Final = 0.2
"""Items answered correctly on average by fewer than 20 % of attempts are flagged as too hard (or mis-keyed)."""
FACILITY_TOO_EASY: Final = 0.95
"""Items above 95 % facility tell almost nothing apart and are flagged as too easy."""
DISCRIMINATION_MIN: Final = 20.0
"""Discrimination index (percent) below which an item separates strong and weak learners too poorly.

Moodle's own help text calls 20-29 % "adequate" and below that "weak"; negative values mean the item is
answered better by weaker learners and is flagged separately (usually a wrong key or an ambiguous stem).
"""

ReviewReason = Literal["too_hard", "too_easy", "low_discrimination", "negative_discrimination"]


# --- plain helpers ------------------------------------------------------------------------------------------------


def _mean(values: Sequence[float]) -> float:
    """Arithmetic mean that is exact when every value is the same.

    Summing n copies of 0.7 and dividing by n need not give 0.7 back in binary floating point; a constant column
    would then have a variance of ~1e-33 instead of 0, and Moodle's "is it zero?" tests (which decide between a
    figure and "undefined") would give a meaningless huge ratio instead of None.
    """
    first = values[0]
    if all(v == first for v in values):
        return first
    return math.fsum(values) / len(values)


_NOISE: Final = 1e-12
"""Relative spread below which a column counts as constant (see ``_deviations``)."""


def _deviations(values: Sequence[float]) -> list[float]:
    """Each value minus the mean, or all zeros when the values differ only by rounding error.

    "Other marks" are total - mark, so a constant rest-of-test can come out as 0.7 and 0.7000000000000001; the
    spread is then noise, and dividing by its variance (as Moodle would) gives a meaningless figure where the
    honest answer is "undefined". Real marks differ by far more than 1e-12 of their size.
    """
    mean = _mean(values)
    if max(values) - min(values) <= _NOISE * max(abs(v) for v in values):
        return [0.0] * len(values)
    return [v - mean for v in values]


def _median(values: Sequence[float]) -> float:
    """Moodle's median: the middle total, or the mean of the two middle totals for an even count."""
    ordered = sorted(values)
    n = len(ordered)
    if n % 2:
        return ordered[n // 2]
    return (ordered[n // 2 - 1] + ordered[n // 2]) / 2


def _check_finite(value: float, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, got {value!r}")
    return float(value)


# --- item statistics ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemStats:
    """Moodle's per-slot ("position") statistics; marks in the slot's own scale, percentages as 0-100.

    ``sd``, ``mark_variance``, ``covariance`` etc. are what Moodle stores in question_statistics (in marks);
    ``sd_fraction`` is what the report's "Standard deviation" column shows (sd / max mark). With max mark 1 they
    coincide.
    """

    s: int
    """Number of attempts that included this slot."""
    max_mark: float
    mark_average: float | None
    facility: float | None
    """Mean mark / max mark (0-1)."""
    sd: float | None = None
    """sqrt(mark variance), in marks (Moodle's stored ``sd``)."""
    sd_fraction: float | None = None
    """sd / max mark: the standard deviation of the mark fraction, as the report displays it."""
    mark_variance: float | None = None
    other_mark_variance: float | None = None
    """Variance of (attempt total - this slot's mark): the rest of the test."""
    covariance: float | None = None
    """Covariance of the slot mark with the rest of the test."""
    covariance_max: float | None = None
    """The largest covariance the marks could have: both columns sorted, then paired."""
    covariance_with_overall_mark: float | None = None
    effective_weight: float | None = None
    """Percent share of the total score's spread this item carries (None when its covariance is negative)."""
    discrimination_index: float | None = None
    """100 * covariance / sqrt(mark variance * other-mark variance): item-rest correlation, in percent."""
    discriminative_efficiency: float | None = None
    """100 * covariance / covariance max."""
    review_reasons: tuple[ReviewReason, ...] = ()

    @property
    def needs_review(self) -> bool:
        return bool(self.review_reasons)


@dataclass(frozen=True)
class _Moments:
    """The first pass over one slot (Moodle's initial_steps_walker and initial_question_walker)."""

    marks: list[float]
    others: list[float]
    totals: list[float]


def _collect(attempts: Sequence[Mapping[S, float]], max_marks: Mapping[S, float]) -> dict[S, _Moments]:
    """Marks per slot, with each attempt's total and "other marks" (total minus this slot).

    An attempt that lacks a slot (a question it was not given) is left out of that slot's statistics, as Moodle
    only walks the steps that exist. Moodle's ``summarks`` is the sum of the attempt's slot marks, so that is the
    total used here.
    """
    moments: dict[S, _Moments] = {slot: _Moments([], [], []) for slot in max_marks}
    for index, attempt in enumerate(attempts):
        unknown = [slot for slot in attempt if slot not in max_marks]
        if unknown:
            raise ValueError(f"attempt {index} has marks for unknown slots {unknown!r}")
        marks = {slot: _check_finite(mark, f"mark for slot {slot!r}") for slot, mark in attempt.items()}
        total = math.fsum(marks.values())
        for slot, mark in marks.items():
            moments[slot].marks.append(mark)
            moments[slot].others.append(total - mark)
            moments[slot].totals.append(total)
    return moments


@dataclass(frozen=True)
class _Variances:
    mark: float
    other: float
    covariance: float
    covariance_max: float
    with_overall: float


def _variances(m: _Moments) -> _Variances:
    """Moodle's secondary_steps_walker / secondary_question_walker: sample (co)variances, divided by s - 1.

    ``covariance_max`` pairs the sorted marks with the sorted other marks (the most positive association
    possible for these two columns), as Moodle does with its sorted markarray and othermarksarray.
    """
    s = len(m.marks)
    dm, do, dt = _deviations(m.marks), _deviations(m.others), _deviations(m.totals)
    # x - mean never reorders values, so sorting the deviations is sorting the marks.
    sorted_dm, sorted_do = sorted(dm), sorted(do)
    return _Variances(
        mark=math.fsum(x * x for x in dm) / (s - 1),
        other=math.fsum(x * x for x in do) / (s - 1),
        covariance=math.fsum(a * b for a, b in zip(dm, do, strict=True)) / (s - 1),
        covariance_max=math.fsum(a * b for a, b in zip(sorted_dm, sorted_do, strict=True)) / (s - 1),
        with_overall=math.fsum(a * b for a, b in zip(dm, dt, strict=True)) / (s - 1),
    )


def _review_reasons(facility: float | None, discrimination: float | None) -> tuple[ReviewReason, ...]:
    """Why an item deserves a second look; thresholds are the named constants above."""
    reasons: list[ReviewReason] = []
    if facility is not None and facility < FACILITY_TOO_HARD:
        reasons.append("too_hard")
    if facility is not None and facility > FACILITY_TOO_EASY:
        reasons.append("too_easy")
    if discrimination is not None and discrimination < DISCRIMINATION_MIN:
        reasons.append("low_discrimination")
    if discrimination is not None and discrimination < 0:
        reasons.append("negative_discrimination")
    return tuple(reasons)


def _item(m: _Moments, max_mark: float) -> ItemStats:
    """All of one slot's figures except effective weight (which needs every slot)."""
    s = len(m.marks)
    mark_average = _mean(m.marks) if s else None
    facility = mark_average / max_mark if mark_average is not None and max_mark != 0 else None
    if s < 2:
        return ItemStats(s, max_mark, mark_average, facility, review_reasons=_review_reasons(facility, None))
    v = _variances(m)
    sd = math.sqrt(v.mark)
    # Moodle: "if ($stats->markvariance * $stats->othermarkvariance)" and "if ($stats->covariancemax)".
    product = v.mark * v.other
    discrimination = 100 * v.covariance / math.sqrt(product) if product else None
    efficiency = 100 * v.covariance / v.covariance_max if v.covariance_max else None
    return ItemStats(
        s=s,
        max_mark=max_mark,
        mark_average=mark_average,
        facility=facility,
        sd=sd,
        sd_fraction=sd / max_mark if max_mark != 0 else None,
        mark_variance=v.mark,
        other_mark_variance=v.other,
        covariance=v.covariance,
        covariance_max=v.covariance_max,
        covariance_with_overall_mark=v.with_overall,
        effective_weight=None,
        discrimination_index=discrimination,
        discriminative_efficiency=efficiency,
        review_reasons=_review_reasons(facility, discrimination),
    )


def _with_effective_weights(items: dict[S, ItemStats]) -> dict[S, ItemStats]:
    """Moodle's effective weight: 100 * sqrt(cov_i) / sum of sqrt(cov_j) over slots with cov_j >= 0.

    cov is the covariance of the slot mark with the overall mark. A slot with negative covariance gets None
    (Moodle's ``negcovar``), as does every slot when the sum is zero. A slot with fewer than two attempts has no
    covariance; Moodle would show 0 % for it, here it is None because the figure is undefined.
    """
    roots = {
        slot: math.sqrt(item.covariance_with_overall_mark)
        for slot, item in items.items()
        if item.covariance_with_overall_mark is not None and item.covariance_with_overall_mark >= 0
    }
    total = math.fsum(roots.values())
    out: dict[S, ItemStats] = {}
    for slot, item in items.items():
        weight = 100 * roots[slot] / total if total and slot in roots else None
        out[slot] = replace(item, effective_weight=weight)
    return out


def item_statistics(attempts: Sequence[Mapping[S, float]], max_marks: Mapping[S, float]) -> dict[S, ItemStats]:
    """Per-slot statistics for the given attempts (each a mapping slot -> mark), keyed like ``max_marks``.

    Raises ValueError for marks that are not finite numbers or slots missing from ``max_marks``: those are the
    caller's bugs, not undefined statistics.
    """
    for slot, mark in max_marks.items():
        _check_finite(mark, f"max mark for slot {slot!r}")
    moments = _collect(attempts, max_marks)
    items = {slot: _item(moments[slot], float(max_marks[slot])) for slot in max_marks}
    return _with_effective_weights(items)


def sum_of_mark_variance(items: Mapping[S, ItemStats]) -> float:
    """Sum of the slots' mark variances (undefined ones count as 0, as PHP's null does in Moodle's sum)."""
    return math.fsum(item.mark_variance or 0.0 for item in items.values())


# --- quiz statistics ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuizStats:
    """Moodle's "Quiz information" figures for one set of attempts; percentages as 0-100 (cic, error ratio)."""

    attempts: int
    mean: float | None
    median: float | None
    standard_deviation: float | None
    skewness: float | None
    kurtosis: float | None
    cic: float | None
    """Coefficient of internal consistency (Cronbach's alpha x 100)."""
    error_ratio: float | None
    standard_error: float | None
    max_total: float | None = None
    """The quiz's sum of max marks, when known: lets pages show mean and median as fractions."""
    small_cohort: bool = True
    """Fewer than SMALL_COHORT attempts: the figures are shown with a warning."""

    @property
    def mean_fraction(self) -> float | None:
        return self.mean / self.max_total if self.mean is not None and self.max_total else None

    @property
    def median_fraction(self) -> float | None:
        return self.median / self.max_total if self.median is not None and self.max_total else None


@dataclass(frozen=True)
class _Shape:
    skewness: float | None
    kurtosis: float | None
    cic: float | None
    error_ratio: float | None
    standard_error: float | None


_NO_SHAPE: Final = _Shape(None, None, None, None, None)


def _shape(totals: Sequence[float], sd: float, slots: int, sum_mark_variance: float) -> _Shape:
    """Skewness, kurtosis, cic, error ratio and standard error exactly as quiz_statistics\\calculator.

    With s attempts and m_r = sum((x - mean)^r) / s:
      k2 = s m2 / (s-1),  k3 = s^2 m3 / ((s-1)(s-2)),  k4 = s^2 ((s+1) m4 - 3 (s-1) m2^2) / ((s-1)(s-2)(s-3))
      skewness = k3 / k2^(3/2)  (s > 2),  kurtosis = k4 / k2^2  (s > 3)
      cic = 100 p/(p-1) (1 - sum of item mark variances / k2)  (p slots > 1)
      error ratio = 100 sqrt(1 - cic/100),  standard error = error ratio x sd / 100.
    Everything needs k2 != 0, and Moodle only reaches the cic when s > 2.
    """
    s = len(totals)
    if s <= 2:
        return _NO_SHAPE
    diffs = _deviations(totals)
    m2 = math.fsum(d**2 for d in diffs) / s
    m3 = math.fsum(d**3 for d in diffs) / s
    m4 = math.fsum(d**4 for d in diffs) / s
    k2 = s * m2 / (s - 1)
    if k2 == 0:
        return _NO_SHAPE
    k3 = s * s * m3 / ((s - 1) * (s - 2))
    skewness = k3 / k2**1.5
    kurtosis = None
    if s > 3:
        k4 = s * s * ((s + 1) * m4 - 3 * (s - 1) * m2 * m2) / ((s - 1) * (s - 2) * (s - 3))
        kurtosis = k4 / (k2 * k2)
    if slots <= 1:
        return _Shape(skewness, kurtosis, None, None, None)
    cic = (100 * slots / (slots - 1)) * (1 - sum_mark_variance / k2)
    # cic <= 100 in exact arithmetic (Cauchy-Schwarz); clamp the rounding error that would make sqrt fail.
    error_ratio = 100 * math.sqrt(max(0.0, 1 - cic / 100))
    return _Shape(skewness, kurtosis, cic, error_ratio, error_ratio * sd / 100)


def quiz_statistics(
    totals: Sequence[float],
    slots: int,
    sum_mark_variance: float,
    max_total: float | None = None,
) -> QuizStats:
    """Test statistics of the attempt totals (Moodle's sumgrades) for a quiz with ``slots`` positions.

    ``sum_mark_variance`` is the sum of the slots' mark variances from ``item_statistics`` (Moodle passes
    ``get_sum_of_mark_variance()`` from the question calculator); it only enters the cic.
    Mean and median need one attempt, the standard deviation (sample, n - 1) two, skewness and cic three,
    kurtosis four.
    """
    values = [_check_finite(t, "attempt total") for t in totals]
    s = len(values)
    small = s < SMALL_COHORT
    if s == 0:
        return QuizStats(0, None, None, None, None, None, None, None, None, max_total, small)
    mean = _mean(values)
    median = _median(values)
    if s == 1:
        return QuizStats(1, mean, median, None, None, None, None, None, None, max_total, small)
    sd = math.sqrt(math.fsum(d * d for d in _deviations(values)) / (s - 1))
    shape = _shape(values, sd, slots, sum_mark_variance)
    return QuizStats(
        attempts=s,
        mean=mean,
        median=median,
        standard_deviation=sd,
        skewness=shape.skewness,
        kurtosis=shape.kurtosis,
        cic=shape.cic,
        error_ratio=shape.error_ratio,
        standard_error=shape.standard_error,
        max_total=max_total,
        small_cohort=small,
    )


@dataclass(frozen=True)
class QuizReport(Generic[S]):
    """Quiz-level and item-level statistics of one set of attempts (what Moodle's statistics report shows)."""

    quiz: QuizStats
    items: Mapping[S, ItemStats]

    @property
    def items_to_review(self) -> tuple[S, ...]:
        return tuple(slot for slot, item in self.items.items() if item.needs_review)


def analyse(
    attempts: Sequence[Mapping[S, float]],
    max_marks: Mapping[S, float],
    max_total: float | None = None,
) -> QuizReport[S]:
    """Both levels at once: item statistics first, then the quiz statistics that need their mark variances.

    Each attempt's total is the sum of its slot marks; ``max_total`` defaults to the sum of ``max_marks``.
    """
    items = item_statistics(attempts, max_marks)
    totals = [math.fsum(a.values()) for a in attempts]
    total_max = math.fsum(max_marks.values()) if max_total is None else max_total
    quiz = quiz_statistics(totals, len(max_marks), sum_of_mark_variance(items), total_max)
    return QuizReport(quiz=quiz, items=dict(items))


# --- which attempts count -----------------------------------------------------------------------------------------

Record = tuple[U, int, float | None, M]
"""(user, attempt number, total or None when ungraded, anything else such as the slot marks)."""


def _pick(group: list[tuple[int, Record[U, M]]], which: WhichAttempts) -> tuple[int, Record[U, M]]:
    """The attempt that counts for one user, as quiz_report_grade_method_sql chooses it.

    first: lowest attempt number; last: highest attempt number; highest: highest total (a missing total counts as
    0, as Moodle's COALESCE does), ties going to the earliest attempt.
    """
    if which == "first":
        return min(group, key=lambda p: p[1][1])
    if which == "last":
        return max(group, key=lambda p: p[1][1])
    return min(group, key=lambda p: (-(p[1][2] or 0.0), p[1][1]))


def select_attempts(records: Iterable[Record[U, M]], which: WhichAttempts) -> list[Record[U, M]]:
    """The records that count under Moodle's "attempts to include" setting, in their original order.

    ``all`` keeps every record (Moodle's QUIZ_GRADEAVERAGE: every attempt contributes to the grade).
    """
    if which not in WHICH_ATTEMPTS:
        raise ValueError(f"which must be one of {WHICH_ATTEMPTS}, got {which!r}")
    indexed = list(enumerate(records))
    if which == "all":
        return [record for _, record in indexed]
    groups: dict[U, list[tuple[int, Record[U, M]]]] = {}
    for index, record in indexed:
        groups.setdefault(record[0], []).append((index, record))
    chosen = sorted(_pick(group, which) for group in groups.values())
    return [record for _, record in chosen]


def attempt_averages(records: Iterable[Record[U, M]]) -> dict[WhichAttempts, tuple[int, float | None]]:
    """Count and mean total for each choice of attempts (Moodle's firstattemptscount/avg, allattemptsavg...).

    Like SQL's AVG, attempts without a total are counted but left out of the mean.
    """
    listed = list(records)
    out: dict[WhichAttempts, tuple[int, float | None]] = {}
    for which in WHICH_ATTEMPTS:
        chosen = select_attempts(listed, which)
        graded = [_check_finite(r[2], "attempt total") for r in chosen if r[2] is not None]
        out[which] = (len(chosen), _mean(graded) if graded else None)
    return out


# --- distractor analysis ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OptionCounts:
    """How often one option was chosen, overall and in the high and low scoring groups (proportions 0-1)."""

    option: str
    count: int
    proportion: float | None
    high_count: int
    high_proportion: float | None
    low_count: int
    low_proportion: float | None


@dataclass(frozen=True)
class DistractorAnalysis:
    options: tuple[OptionCounts, ...]
    attempts: int
    unanswered: int
    high_group: int
    low_group: int
    high_cutoff: float | None
    """Totals at or above this are in the high group."""
    low_cutoff: float | None
    """Totals at or below this are in the low group."""


def score_groups(totals: Sequence[float]) -> tuple[float | None, float | None]:
    """(high cutoff, low cutoff) by Moodle 1.9's item analysis rule: thirds of the score range, not of the people.

    gap = (max - min) / 3; the high group is every total >= max - gap and the low group every total
    <= min + gap. Ties at a cutoff are all included, so groups need not be equal in size, and when every total is
    the same both groups hold everyone (there is nothing to tell apart). Empty input gives (None, None).
    """
    values = [_check_finite(t, "attempt total") for t in totals]
    if not values:
        return None, None
    top, bottom = max(values), min(values)
    gap = (top - bottom) / 3
    return top - gap, bottom + gap


def _chosen(choice: str | Collection[str] | None) -> frozenset[str]:
    if choice is None:
        return frozenset()
    if isinstance(choice, str):
        return frozenset((choice,))
    return frozenset(c for c in choice if isinstance(c, str))


def _share(count: int, of: int) -> float | None:
    return count / of if of else None


def distractor_analysis(
    option_ids: Sequence[str],
    choices: Sequence[str | Collection[str] | None],
    totals: Sequence[float],
) -> DistractorAnalysis:
    """Per option: how many attempts chose it, overall and in the high and low groups (see ``score_groups``).

    ``choices[i]`` is attempt i's chosen option id (single), ids (multiple) or None (unanswered); ``totals[i]`` is
    its total score. Proportions are of all attempts in the group, answered or not, so an unattractive distractor
    shows as 0 and a multiple-response question's proportions may add up to more than 1. Ids that are not among
    ``option_ids`` (an option since removed) are not counted.
    """
    if len(choices) != len(totals):
        raise ValueError(f"{len(choices)} choices but {len(totals)} totals")
    high_cut, low_cut = score_groups(totals)
    sets = [_chosen(c) & set(option_ids) for c in choices]
    high = [i for i, t in enumerate(totals) if high_cut is not None and t >= high_cut]
    low = [i for i, t in enumerate(totals) if low_cut is not None and t <= low_cut]
    n = len(choices)
    rows = []
    for option in option_ids:
        count = sum(option in chosen for chosen in sets)
        high_count = sum(option in sets[i] for i in high)
        low_count = sum(option in sets[i] for i in low)
        rows.append(
            OptionCounts(
                option,
                count,
                _share(count, n),
                high_count,
                _share(high_count, len(high)),
                low_count,
                _share(low_count, len(low)),
            )
        )
    unanswered = sum(not chosen for chosen in sets)
    return DistractorAnalysis(tuple(rows), n, unanswered, len(high), len(low), high_cut, low_cut)
