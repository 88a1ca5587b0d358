"""The analysis page's SVG charts: well-formed XML, accessible, bars and points where the numbers put them, no script."""

from __future__ import annotations

from itertools import pairwise
from xml.etree.ElementTree import Element

from defusedxml import ElementTree

from edu.results import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> Element:
    return ElementTree.fromstring(str(markup))


def test_histogram_is_valid_accessible_svg_with_bars_proportional_to_counts():
    bins = [("0–9", 0), ("10–19", 2), ("20–29", 5), ("30–39", 10)]
    root = parse(charts.histogram(bins, title="Scores <of> quiz", desc="Counts & more"))
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "Scores <of> quiz" and root.find(f"{SVG}desc").text == "Counts & more"
    assert root.get("aria-labelledby") == "score-histogram-title score-histogram-desc"
    bars = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"]
    assert [int(b.get("data-count")) for b in bars] == [0, 2, 5, 10]
    heights = [float(b.get("height")) for b in bars]
    assert heights[0] == 0 and heights[3] > 0
    for count, height in zip([2, 5, 10], heights[1:], strict=True):
        assert abs(height / heights[3] - count / 10) < 0.01
    widths = {b.get("width") for b in bars}
    assert len(widths) == 1  # equal bins, equal widths
    bottoms = {round(float(b.get("y")) + float(b.get("height")), 1) for b in bars}
    assert len(bottoms) == 1  # every bar stands on the axis


def test_empty_histogram_still_renders():
    root = parse(charts.histogram([("0–9", 0), ("10–19", 0)], title="t", desc="d"))
    assert all(float(r.get("height")) == 0 for r in root.iter(f"{SVG}rect") if r.get("class") == "bar")


def test_scatter_places_points_and_shades_review_zones():
    points = [
        charts.Point("1", "easy-one", 1.0, 100.0),
        charts.Point("2", "bad & wrong", 0.0, -100.0, flagged=True),
        charts.Point("3", "middle", 0.5, 0.0),
    ]
    root = parse(charts.scatter(points, title="Items", desc="Facility and discrimination"))
    circles = list(root.iter(f"{SVG}circle"))
    assert len(circles) == 3
    (x1, y1), (x2, y2), (x3, y3) = ((float(c.get("cx")), float(c.get("cy"))) for c in circles)
    assert x1 > x3 > x2 and y1 < y3 < y2  # right = easier, up = more discriminating
    assert abs(x3 - (x1 + x2) / 2) < 0.1 and abs(y3 - (y1 + y2) / 2) < 0.1
    assert circles[1].get("fill") == charts.FLAGGED and circles[0].get("fill") == charts.POINT
    assert circles[1].find(f"{SVG}title").text.startswith("bad & wrong: facility 0 %")
    zones = {r.get("class") for r in root.iter(f"{SVG}rect")}
    assert {"zone-hard", "zone-easy", "zone-weak"} <= zones


def test_no_script_no_style_no_event_handlers():
    for markup in (
        charts.histogram([("a", 1)], title="<script>alert(1)</script>", desc='x" onload="alert(1)'),
        charts.scatter([charts.Point("<b>", "<script>", 0.5, 10.0)], title="t", desc="d"),
    ):
        root = parse(markup)
        for element in root.iter():
            assert element.tag not in (f"{SVG}script", f"{SVG}style", f"{SVG}foreignObject")
            assert "style" not in element.attrib
            assert not any(name.startswith("on") for name in element.attrib)
        assert "<script" not in str(markup)


def test_text_stays_legible_when_a_phone_shrinks_the_chart():
    """A chart is shown at most at its own width and shrinks to a 288 px column on a 320 px phone: every label must
    still be 10 px there, and the ten score bands' labels must not run into each other."""
    bins = [(f"{10 * i}–{10 * i + 9 if i < 9 else 100}", i) for i in range(10)]
    histogram = parse(charts.histogram(bins, title="t", desc="d"))
    scatter = parse(charts.scatter([charts.Point("12", "a", 0.5, 10.0)], title="t", desc="d"))
    for root in (histogram, scatter):
        width = float(root.get("width"))
        assert float(root.get("viewBox").split()[2]) == width
        sizes = [float(text.get("font-size")) for text in root.iter(f"{SVG}text")]
        assert min(sizes) * 288 / width >= 10
    rows: dict[str, list[tuple[float, str, float]]] = {}
    for text in histogram.iter(f"{SVG}text"):
        if text.text in dict(bins):
            rows.setdefault(text.get("y"), []).append((float(text.get("x")), text.text, float(text.get("font-size"))))
    assert sum(len(row) for row in rows.values()) == 10
    for row in rows.values():
        row.sort()
        for (x1, left, size), (x2, right, _) in pairwise(row):
            assert x2 - x1 >= 0.6 * size * (len(left) + len(right)) / 2, (left, right)  # centred labels: half each
