"""No input makes an importer raise: random nesting, fragments of each format's syntax and plain garbage.

Each importer promises to report problems and never raise; the YAML reader promises to raise only
YamlError. These tests feed them text built from the characters that matter to each format (brackets,
indentation, anchors, braces, markers, tags), nested at random, mixed with arbitrary characters.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edu.content.yamlsource import YamlError, load
from edu.interchange import ImportResult, gift, parse_aiken, parse_gift, parse_moodle_xml, parse_yaml_bank
from tests.property_budget import max_examples

FUZZ = settings(max_examples=max_examples(300), deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

YAML_PIECES = [
    "[", "]", "{", "}", "- ", "? ", ": ", ", ", "\n", "  ", "    ", "&a ", "*a", "&b ", "*b", "!!str ", "!!map ",
    "!!python/object:os.system ", "!x ", "'", '"', "#", "|\n", ">-\n", "%YAML 1.1\n", "---\n", "...\n", "bank", "questions",
    "id: q-1", "type: single", "prompt: p", "options:", "x", "1", "~", "null", "\t", "\ufeff", "\x00", "\x85", "\u2028", "\ud800",
]  # fmt: skip
GIFT_PIECES = [
    "{", "}", "~", "=", "#", "####", "::", "//", "[id:", "[tag:", "]", "$CATEGORY:", "->", "%50%", "%-100%", "%",
    ">3 ALL VERTICAL", "\\", "\\{", "\\}", "\\n", "\n", "\n\n", "T", "FALSE", "1..5", ":2", "[html]", "[markdown]",
    "1:MULTICHOICE:", "x", " ", "\t", "\r", "99999999999999999999", "<", "`", "\x01", "\ufeff", "\udfff",
    "Q{>" + "9" * 4400 + " ALL\na\nb\n}", "Q{#1..2:3}", "Q{=a->b =c->d}", "Q{~%50%a~%50%b}", "Q{#" + "1" * 5000 + "x}",
]  # fmt: skip
AIKEN_PIECES = ["A) ", "B. ", "Z) ", "ANSWER: ", "ANSWER:A", "\n", "\r\n", "Q", "x", " ", "A", "\ufeff", "\x00", "\ud800"]
XML_TAGS = ["quiz", "question", "answer", "text", "questiontext", "name", "subquestion", "units", "unit", "tags", "tag",
            "selectcount", "single", "usecase", "file", "image_base64", "idnumber", "generalfeedback", "tolerance", "a"]  # fmt: skip
XML_ATTRS = ['', ' type="multichoice"', ' type="truefalse"', ' type="numerical"', ' type="matching"', ' type="ordering"',
             ' type="shortanswer"', ' type="category"', ' fraction="100"', ' fraction="x"', ' fraction="33.33333"',
             ' name="f"']  # fmt: skip
XML_PARTS = [
    '<questiontext><text>Q</text></questiontext>', '<answer fraction="100"><text>a</text></answer>',
    '<answer fraction="0"><text>b</text><feedback><text>no</text></feedback></answer>', '<answer fraction="50"><text>c</text></answer>',
    '<answer fraction="100"><text>3</text><tolerance>0.5</tolerance></answer>', "<selectcount>²</selectcount>",
    "<selectcount>" + "9" * 4400 + "</selectcount>", "<selecttype>RANDOM</selecttype>", "<single>false</single>",
    "<units><unit><multiplier>x</multiplier><unit_name>m</unit_name></unit></units>", "<usecase>1</usecase>",
    "<tags><tag><text>difficulty-hard</text></tag><tag><text>!!</text></tag></tags>", "<idnumber>q-1</idnumber>",
    "<subquestion><text>a</text><answer><text>b</text></answer></subquestion>", '<file name="f.png">AA==</file>',
    "<category><text>$course$/A</text></category>", "<generalfeedback><text>why</text></generalfeedback>",
]  # fmt: skip
XML_TEXT = ["", "true", "false", "1", "²", "9" * 4400, "x", "&amp;", "&lt;b&gt;", "<![CDATA[<p>]]>", " ", "*", "-1"]


def fragments(pieces: list[str]) -> st.SearchStrategy[str]:
    """Text made of the format's own syntax, with arbitrary characters mixed in."""
    piece = st.one_of(st.sampled_from(pieces), st.text(max_size=4))
    return st.lists(piece, max_size=60).map("".join)


@st.composite
def nested(draw: st.DrawFn, opens: list[str], closes: list[str]) -> str:
    """Deep or unbalanced nesting: up to 80 openers, closed in full, in part or not at all, with noise."""
    depth = draw(st.integers(min_value=0, max_value=80))
    chosen = draw(st.lists(st.sampled_from(range(len(opens))), min_size=depth, max_size=depth))
    noise = draw(st.text(max_size=5))
    closed = draw(st.integers(min_value=0, max_value=depth))
    return "".join(opens[i] for i in chosen) + noise + "".join(closes[i] for i in reversed(chosen[depth - closed :]))


@st.composite
def xml_elements(draw: st.DrawFn, depth: int = 0) -> str:
    """Random elements with random attributes and texts, sometimes left unclosed or broken."""
    tag = draw(st.sampled_from(XML_TAGS))
    attrs = draw(st.sampled_from(XML_ATTRS))
    children = draw(st.lists(st.deferred(lambda: xml_elements(depth + 1)), max_size=3)) if depth < 3 else []
    body = draw(st.sampled_from(XML_TEXT)) + "".join(children)
    ending = draw(st.sampled_from([f"</{tag}>"] * 40 + ["", "</x>", "<"]))  # mostly well formed, to reach the readers
    return f"<{tag}{attrs}>{body}{ending}"


@st.composite
def xml_questions(draw: st.DrawFn) -> str:
    """A Moodle-like <quiz>: questions of each type whose parts are random elements."""
    questions = []
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        qtype = draw(st.sampled_from(XML_ATTRS[1:8]))
        parts = draw(st.lists(st.one_of(st.sampled_from(XML_PARTS), xml_elements(1)), max_size=8))
        questions.append(f"<question{qtype}>{''.join(parts)}</question>")
    junk = draw(st.sampled_from([""] * 8 + ["<", "x", "</quiz>"]))
    return "<quiz>" + "".join(questions) + "</quiz>" + junk


yaml_inputs = st.one_of(
    fragments(YAML_PIECES),
    nested(["[", "{", "- ", "? ", "[a, ", "{a: ", "- - "], ["]", "}", "", "", "]", "}", ""]),
    st.text(max_size=200),
)
gift_inputs = st.one_of(
    fragments(GIFT_PIECES), nested(["{", "::", "[id:", "[tag:", "{#"], ["}", "::", "]", "]", "}"]), st.text(max_size=200)
)
aiken_inputs = st.one_of(fragments(AIKEN_PIECES), st.text(max_size=200))
xml_inputs = st.one_of(
    xml_questions().map(str.encode),
    nested(["<quiz>", "<question>", "<a>", "<answer fraction='100'>"], ["</quiz>", "</question>", "</a>", "</answer>"]).map(
        str.encode
    ),
    st.binary(max_size=200),
)


def check(result: object) -> None:
    assert isinstance(result, ImportResult)
    if result.refused is not None:
        assert result.questions == () and result.problems[-1] == result.refused


@FUZZ
@given(yaml_inputs)
def test_yaml_reader_raises_only_its_own_error(text: str) -> None:
    try:
        load(text)
    except YamlError as exc:
        assert exc.line >= 1 and exc.message


@FUZZ
@given(yaml_inputs)
def test_yaml_bank_import_never_raises(text: str) -> None:
    check(parse_yaml_bank(text))


@FUZZ
@given(gift_inputs)
def test_gift_import_never_raises(text: str) -> None:
    check(parse_gift(text))


@FUZZ
@given(aiken_inputs)
def test_aiken_import_never_raises(text: str) -> None:
    check(parse_aiken(text))


@FUZZ
@given(xml_inputs)
def test_moodle_xml_import_never_raises(data: bytes) -> None:
    check(parse_moodle_xml(data))


@FUZZ
@given(fragments(["[id:", "[tag:", "]", "\\]", "\\", "<", ">", "`", "\x01", "\n", "a", " ", "[", "x]"]))
def test_gift_finds_the_same_id_and_tag_tokens_as_a_plain_regex_search(comments: str) -> None:
    # The linear search must find exactly what Moodle's regular expressions find over the whole text.
    for token, stop in ((gift._ID_TOKEN, gift._ID_STOP), (gift._TAG_TOKEN, gift._TAG_STOP)):
        expected = [m.group(1) for m in token.finditer(comments)]
        assert [m.group(1) for m in gift._tokens(token, stop, comments)] == expected


@FUZZ
@given(st.text(alphabet="0123456789.eE+-x ", max_size=40))
def test_numbers_are_read_exactly_as_before(text: str) -> None:
    from edu.interchange.report import _NUMBER_RE

    former = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")
    assert bool(_NUMBER_RE.match(text)) == bool(former.match(text))


COURSE_FILES = ("course.yaml", "glossary.yaml", "references.yaml", "modules/basics/module.yaml",
                "modules/basics/questions.yaml", "modules/basics/lessons/01-first.md")  # fmt: skip
MINI_COURSE = __import__("pathlib").Path(__file__).resolve().parents[1] / "fixtures" / "courses" / "mini"


@settings(max_examples=max_examples(120), deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(COURSE_FILES), st.one_of(yaml_inputs, st.binary(max_size=300)), st.booleans())
def test_the_course_loader_reports_any_file_it_cannot_read_and_never_raises(name: str, text: str | bytes, splice: bool) -> None:
    """Course files are parsed with the same bounded reader as uploads: a garbled file, or garbage spliced into a
    good one, gives problems naming that file (or, rarely, a course that still loads), never an exception."""
    import shutil
    import tempfile
    from pathlib import Path

    from edu.content import load_course

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "mini"
        shutil.copytree(MINI_COURSE, root)
        target = root / name
        data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
        if splice:
            original = target.read_bytes()
            data = original[: len(original) // 2] + data + original[len(original) // 2 :]
        target.write_bytes(data)
        result = load_course(root, display_root="mini")
    assert result.problems or result.course is not None
    assert all(str(problem).startswith("mini/") for problem in result.problems), result.problems
