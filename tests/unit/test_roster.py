"""The compliance status rules, the roster's filtering and sorting, the chart and the bulk-code parsing: pure."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from edu.certificates.snapshot import new_code
from edu.clinics import roster
from edu.clinics.bulk_verification import MAX_BULK_ROWS, check_entries, parse_csv, parse_pasted
from edu.clinics.charts import compliance_svg
from edu.clinics.roster import CertificateFact, StaffRow, course_status, hours_earned, select_rows
from edu.errors import Invalid

TODAY = date(2025, 6, 1)


def fact(
    status: str = "valid", expires: int | None = 400, cycle: int = 1, hours: str = "2", issued: int = -300
) -> CertificateFact:
    return CertificateFact(
        code=f"C{cycle}{status[:2]}",
        status=status,
        cycle=cycle,
        issue_date=TODAY + timedelta(days=issued),
        expiry_date=TODAY + timedelta(days=expires) if expires is not None else None,
        ce_hours=Decimal(hours),
    )


@pytest.mark.parametrize(
    ("certificates", "done", "total", "expected", "percent", "days_left"),
    [
        ([], 0, 4, "not_started", 0, None),
        ([], 1, 4, "in_progress", 25, None),
        ([], 4, 4, "in_progress", 100, None),
        ([], 2, 3, "in_progress", 67, None),
        ([], 0, 0, "not_started", 0, None),
        ([], 9, 4, "in_progress", 100, None),  # completions of lessons since removed cannot exceed 100%
        ([fact(expires=400)], 0, 4, "certified", 100, 400),
        ([fact(expires=None)], 0, 4, "certified", 100, None),
        ([fact(expires=61)], 0, 4, "certified", 100, 61),
        ([fact(expires=60)], 0, 4, "expiring", 100, 60),  # the window is inclusive
        ([fact(expires=1)], 0, 4, "expiring", 100, 1),
        ([fact(expires=0)], 4, 4, "expired", 100, None),  # the expiry date is the first day it is no longer valid
        ([fact(expires=-30)], 4, 4, "expired", 100, None),
        ([fact("revoked")], 4, 4, "revoked", 0, None),
        ([fact("superseded")], 2, 4, "in_progress", 50, None),  # a superseded certificate speaks through its replacement
        # A renewal in force beats the expired first cycle; an older cycle in force beats a revoked renewal.
        ([fact(expires=-5), fact(expires=700, cycle=2)], 0, 4, "certified", 100, 700),
        ([fact(expires=30), fact("revoked", cycle=2)], 0, 4, "expiring", 100, 30),
        # Neither in force: the latest cycle decides.
        ([fact(expires=-400), fact("revoked", cycle=2, expires=300)], 0, 4, "revoked", 0, None),
        ([fact("revoked", expires=300), fact(expires=-1, cycle=2)], 0, 4, "expired", 100, None),
    ],
)
def test_course_status(certificates, done, total, expected, percent, days_left):
    status = course_status(certificates, done, total, TODAY, 60)
    assert (status.status, status.percent, status.days_left) == (expected, percent, days_left)
    assert status.label == roster.STATUS_LABELS[expected]


def test_the_window_is_configurable_and_never_negative():
    assert course_status([fact(expires=90)], 0, 1, TODAY, 90).status == "expiring"
    assert course_status([fact(expires=90)], 0, 1, TODAY, 89).status == "certified"
    with pytest.raises(ValueError, match="negative"):
        course_status([], 0, 1, TODAY, -1)


def test_hours_count_expired_but_not_revoked_or_superseded():
    certificates = [fact(expires=-10, hours="1.5"), fact("revoked", hours="3"), fact("superseded", hours="4"), fact(hours="0.5")]
    assert hours_earned(certificates) == Decimal("2.0")
    assert hours_earned([]) == Decimal(0)


def row(link_id: int, name: str, *statuses: roster.CourseStatus) -> StaffRow:
    return StaffRow(link_id, name, f"{link_id}@example.com", dict(enumerate(statuses, start=1)), Decimal(0))


ROWS = [
    row(1, "Zoe", course_status([fact(expires=400)], 0, 1, TODAY), course_status([], 0, 1, TODAY)),
    row(2, "adam", course_status([fact(expires=10)], 0, 1, TODAY), course_status([fact(expires=500)], 0, 1, TODAY)),
    row(3, "Mia", course_status([], 1, 2, TODAY), course_status([fact(expires=-3)], 0, 1, TODAY)),
    row(4, "Ben", course_status([fact("revoked")], 0, 1, TODAY), course_status([], 0, 1, TODAY)),
]


def names(rows: list[StaffRow]) -> list[str]:
    return [r.name for r in rows]


def test_select_rows_sorts_and_filters():
    assert names(select_rows(ROWS)) == ["adam", "Ben", "Mia", "Zoe"]  # case-insensitive by name
    assert names(select_rows(ROWS, sort="status")) == ["Mia", "Ben", "adam", "Zoe"]  # worst status across courses
    assert names(select_rows(ROWS, sort="status", course_id=1)) == ["Ben", "adam", "Mia", "Zoe"]
    assert names(select_rows(ROWS, sort="expiry")) == ["Mia", "adam", "Zoe", "Ben"]
    assert names(select_rows(ROWS, sort="expiry", course_id=2)) == ["Mia", "adam", "Ben", "Zoe"]
    assert names(select_rows(ROWS, status="not_started")) == ["Ben", "Zoe"]
    assert names(select_rows(ROWS, status="not_started", course_id=1)) == []
    assert names(select_rows(ROWS, status="in_progress", course_id=1)) == ["Mia"]
    assert names(select_rows(ROWS, query="  A ")) == ["adam", "Mia"]
    assert names(select_rows([], sort="expiry")) == []
    with pytest.raises(ValueError):
        select_rows(ROWS, status="bogus")
    with pytest.raises(ValueError):
        select_rows(ROWS, sort="salary")


def test_counts_per_course():
    counts = roster.counts(ROWS, [1, 2])
    assert counts[1] == {"certified": 1, "expiring": 1, "expired": 0, "revoked": 1, "in_progress": 1, "not_started": 0}
    assert counts[2] == {"certified": 1, "expiring": 0, "expired": 1, "revoked": 0, "in_progress": 0, "not_started": 2}


def test_chart_is_accessible_escaped_and_csp_safe():
    svg = str(compliance_svg([(1, "Needling <safety> & you"), (2, "Empty")], {1: {"certified": 3, "expired": 1}, 2: {}}))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert 'role="img"' in svg and 'aria-labelledby="compliance-chart-title compliance-chart-desc"' in svg
    assert '<title id="compliance-chart-title">Staff compliance by course</title>' in svg
    assert (
        '<desc id="compliance-chart-desc">Needling &lt;safety&gt; &amp; you: 3 certified, 1 expired; Empty: no staff.</desc>'
        in svg
    )
    assert "<safety>" not in svg
    assert "style=" not in svg and "<script" not in svg and "on" + "load" not in svg
    # Three quarters of the bar is certified.
    whole = float(re.search(r'<rect x="1" y="\d+" width="([\d.]+)" height="26" fill="#ffffff"', svg).group(1))
    certified = float(re.search(r'width="([\d.]+)" height="26" fill="#1e6b45"', svg).group(1))
    assert abs(certified / whole - 0.75) < 0.001
    assert compliance_svg([], {}).count("<desc") == 1


def test_chart_text_stays_legible_on_a_phone_and_titles_are_not_cut_short():
    """The chart is drawn at most its own width in pixels and shrinks to a 288 px column on a 320 px phone: every
    label must still be 10 px there, and a 46-character course title (cut at 34 before) is drawn whole."""
    from edu.clinics import charts

    title = "Dry Needling for Physical Therapists: Mechanism"
    svg = str(compliance_svg([(1, title)], {1: {"certified": 2, "in_progress": 1}}))
    width = float(re.search(r'<svg [^>]*width="([\d.]+)"', svg).group(1))
    sizes = [float(size) for size in re.findall(r'font-size="([\d.]+)"', svg)]
    assert width == charts.WIDTH and sizes and min(sizes) * 288 / width >= 10
    assert f">{title}</text>" in svg


def test_parse_pasted_lines_and_commas():
    assert parse_pasted("a\n\n b , c;d\n,\n") == [(1, "a"), (3, "b"), (3, "c"), (3, "d"), (4, ""), (4, "")]
    assert parse_pasted("") == []


def test_parse_csv_finds_the_code_column_or_uses_the_first():
    assert parse_csv(b"Name,CODE\nA,x1\n\nB,\nC\n") == [(2, "x1"), (4, ""), (5, "")]
    assert parse_csv("\ufeffx1,foo\nx2\n".encode()) == [(1, "x1"), (2, "x2")]
    with pytest.raises(Invalid, match="UTF-8"):
        parse_csv("code\nx".encode("utf-16"))
    with pytest.raises(Invalid, match="not a CSV"):
        parse_csv(b"code\n\x00\x00")


def test_check_entries_reasons():
    good = new_code()
    rows = check_entries([(1, good.lower().replace("-", "")), (2, ""), (3, "ABC"), (4, good), (5, "IIII-IIII-II")])
    assert [r.code for r in rows][:1] == [good]
    assert rows[0].error is None and rows[0].state == "not_found"  # not looked up yet
    assert rows[1].error == "Empty: no code here."
    assert rows[2].error == "A certificate code has 10 characters; this has 3."
    assert rows[3].error == "Duplicate of row 1: checked once."
    assert rows[4].error is not None and rows[4].state == "error"
    with pytest.raises(Invalid, match=f"at most {MAX_BULK_ROWS}"):
        check_entries([(i, good) for i in range(MAX_BULK_ROWS + 1)])
    with pytest.raises(Invalid, match="at least one"):
        check_entries([])
