"""Every importer and the course reader refuse input past their limits, at the line where the limit was passed,
before the work grows with it: nesting, values, aliases, elements, questions, answers, tags, categories, problems.

The attack inputs are the ones that crashed or froze a worker: 60 KB of nested `- ` (libyaml's composer
overflowed the C stack: segfault), 10 KB of `[` (about 10 CPU-seconds in the pure-Python alias scan) and 100 KB
of `[` (minutes). The crashing ones run in a child process, so that without the limits the test fails instead
of killing the test run.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from edu.content import load_course
from edu.content.yamlsource import MAX_DEPTH, MAX_NODES, YamlError, YamlRefused, load
from edu.interchange import ImportResult, parse_aiken, parse_gift, parse_moodle_xml, parse_yaml_bank
from edu.interchange.moodle_xml import MAX_XML_DEPTH, MAX_XML_ELEMENTS
from edu.interchange.report import MAX_ANSWERS, MAX_CATEGORIES, MAX_PROBLEMS, MAX_QUESTIONS, MAX_TAGS, parse_number

ROOT = Path(__file__).resolve().parents[2]
COURSE = ROOT / "courses" / "dry-needling"
MINI = ROOT / "tests" / "fixtures" / "courses" / "mini"
KB = 1024

DEEP = f"the YAML nests lists and mappings more than {MAX_DEPTH} levels deep (the limit is {MAX_DEPTH})"
MANY = f"the YAML holds more than {MAX_NODES:,} values (the limit is {MAX_NODES:,})"

ATTACKS = {
    "60 KB of nested '- '": "- " * (30 * KB),
    "10 KB of '['": "[" * (10 * KB),
    "100 KB of '['": "[" * (100 * KB),
    "100 KB of '{'": "{" * (100 * KB),
    "100 KB of nested '? '": "? " * (50 * KB),
    "100 KB of indented '- ' lines": "".join("  " * i + "-\n" for i in range(300)),
}


def refused(result: ImportResult, message: str, line: int | None = None) -> None:
    """The file was refused whole: nothing to import, and the last problem says which limit and where."""
    assert result.refused is not None, [str(p) for p in result.problems]
    assert result.questions == ()
    assert result.problems[-1] == result.refused
    assert message in result.refused.message, result.refused.message
    if line is not None:
        assert result.refused.line == line


# --- YAML ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(ATTACKS))
def test_each_yaml_attack_is_refused_at_the_depth_limit_in_a_process_that_survives(name: str) -> None:
    script = textwrap.dedent(
        """
        import sys
        from edu.content.yamlsource import YamlRefused, load
        from edu.interchange import parse_yaml_bank
        text = sys.stdin.read()
        print(parse_yaml_bank(text).refused.message)
        try:
            load(text)
        except YamlRefused as exc:
            print(exc.line, exc.message)
        """
    )
    run = subprocess.run([sys.executable, "-c", script], input=ATTACKS[name], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, f"exit {run.returncode}: {run.stderr[-500:]}"
    bank_message, load_message = run.stdout.splitlines()
    assert DEEP in bank_message
    assert DEEP in load_message


def test_depth_is_refused_one_level_past_the_limit_with_its_line() -> None:
    at_limit = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert load(at_limit).data is not None
    too_deep = "bank: {id: b-1, title: B}\nquestions:\n" + "  - x:\n" * 1 + "      " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n"
    with pytest.raises(YamlRefused) as caught:
        load(too_deep)
    assert caught.value.line == 4 and DEEP in caught.value.message
    refused(parse_yaml_bank(too_deep), DEEP, line=4)


def test_block_nesting_past_the_limit_is_refused_at_the_line_that_passes_it() -> None:
    lines = "".join("  " * i + "-\n" for i in range(MAX_DEPTH + 5))
    with pytest.raises(YamlRefused) as caught:
        load(lines)
    assert caught.value.line == MAX_DEPTH + 1


def test_more_values_than_the_limit_are_refused() -> None:
    assert len(load("[" + "1," * (MAX_NODES - 2) + "1]").data) == MAX_NODES - 1
    text = "[" + "1," * MAX_NODES + "1]"
    with pytest.raises(YamlRefused, match="more than 100,000 values"):
        load(text)
    refused(parse_yaml_bank(text), MANY)


def test_aliases_are_refused_in_banks_and_cannot_expand_a_course_file_past_the_limits() -> None:
    bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]\n" for i in range(1, 7)
    )  # 20 lines that would build a million values
    refused(parse_yaml_bank(bomb), "YAML aliases (*name) are not allowed in a question bank", line=2)
    with pytest.raises(YamlRefused, match="more than 100,000 values"):
        load(bomb)
    # Each alias of a 20-deep list inside another: 40 levels once expanded.
    chained = "a: &a " + "[" * 20 + "]" * 20 + "\nb: &b " + "[" * 19 + "*a" + "]" * 19 + "\n"
    with pytest.raises(YamlRefused) as caught:
        load(chained)
    assert DEEP in caught.value.message and caught.value.line == 1
    assert load("a: &a [1, 2]\nb: *a\n").data == {"a": [1, 2], "b": [1, 2]}  # ordinary aliases still work


def test_only_one_document_is_read() -> None:
    with pytest.raises(YamlError, match="expected a single document") as caught:
        load("a: 1\n---\nb: 2\n" + "---\n" * 10_000)
    assert caught.value.line == 2


def test_a_lone_surrogate_is_an_error_at_its_line_not_a_crash() -> None:
    [problem] = parse_yaml_bank("bank: {id: b-1, title: B}\nquestions: [\ud800]\n").problems
    assert (problem.line, problem.message) == (2, "invalid YAML: U+D800 is a lone surrogate, not a character")


def test_loading_keeps_no_yaml_nodes_alive() -> None:
    # The reader used one shared constructor, which kept every node of every file it ever read (and was
    # shared between threads). Counted in a fresh interpreter: scanning the whole suite's heap took 40 s.
    code = """
import gc, yaml
from edu.content.yamlsource import load
def alive():
    gc.collect()
    return sum(isinstance(o, yaml.Node) for o in gc.get_objects())
before = alive()
for _ in range(3):
    load("a: [1, 2, 3]\\nb: {c: d}\\n")
print(alive() - before)
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "0", done.stderr


def test_a_course_file_past_the_limits_is_reported_at_its_file_and_line(tmp_path: Path) -> None:
    course = tmp_path / "mini"
    shutil.copytree(MINI, course)
    (course / "glossary.yaml").write_text("terms:\n  - " + "[" * (MAX_DEPTH + 1) + "\n")
    found = [str(p) for p in load_course(course, display_root="mini").problems]
    assert any(p.startswith("mini/glossary.yaml:2: ") and DEEP in p for p in found), found


def test_the_shipped_course_and_its_banks_still_load() -> None:
    result = load_course(COURSE)
    assert result.problems == [] and result.course is not None
    for bank in sorted(COURSE.glob("modules/*/questions.yaml")):
        parsed = parse_yaml_bank(bank.read_text())
        assert parsed.problems == () and parsed.refused is None and len(parsed.questions) >= 10, bank


# --- GIFT ---------------------------------------------------------------------------------------------------


def test_gift_does_not_nest_so_deep_braces_are_one_question_that_cannot_be_imported() -> None:
    # GIFT has no nesting and its reader never recurses: braces only open and close one answer block.
    [problem] = parse_gift("Q" + "{" * 60 * KB).problems
    assert (problem.line, problem.message) == (1, "the answer block is not enclosed in { and }")
    balanced = parse_gift("Q" + "{" * 30 * KB + "}" * 30 * KB + "\n\nR{T}")
    assert [q.prompt for q in balanced.questions] == ["R"] and balanced.skipped == 1 and balanced.refused is None
    assert balanced.problems[0].line == 1


def test_gift_with_more_questions_than_the_limit_is_refused() -> None:
    assert len(parse_gift("Q{T}\n\n" * MAX_QUESTIONS).questions) == MAX_QUESTIONS
    result = parse_gift("Q{T}\n\n" * (MAX_QUESTIONS + 1))
    refused(result, f"more than {MAX_QUESTIONS:,} questions (the limit is {MAX_QUESTIONS:,})", line=2 * MAX_QUESTIONS + 1)


def test_gift_question_with_more_answers_than_the_limit_is_skipped() -> None:
    fine = parse_gift("Q{=a" + "~b" * (MAX_ANSWERS - 1) + "}")  # the model's 12 options decide here
    assert "at most 12 items" in fine.problems[0].message
    result = parse_gift("Q{=a" + "~b" * (100 * KB) + "}\n\nR{T}")
    assert [q.prompt for q in result.questions] == ["R"] and result.skipped == 1 and result.refused is None
    assert result.problems[0].message == f"the question has more than {MAX_ANSWERS} answers (the limit is {MAX_ANSWERS})"
    ordering = parse_gift("Q{>3 ALL\n" + "item\n" * (MAX_ANSWERS + 1) + "}")
    assert ordering.problems[0].message == f"the question has more than {MAX_ANSWERS} items (the limit is {MAX_ANSWERS})"


def test_gift_errors_past_the_limit_stop_the_import() -> None:
    result = parse_gift("Q{~a}\n\n" * (MAX_PROBLEMS + 5))
    refused(result, f"more than {MAX_PROBLEMS:,} errors (the limit is {MAX_PROBLEMS:,})", line=2 * MAX_PROBLEMS + 1)
    assert len(result.problems) == MAX_PROBLEMS + 1


def test_warnings_past_the_limit_are_counted_not_listed_and_refuse_nothing() -> None:
    result = parse_gift("Q{T#wrong#right}\n\n" * (MAX_PROBLEMS + 200))
    assert result.refused is None and len(result.questions) == MAX_PROBLEMS + 200
    assert len(result.warnings) == MAX_PROBLEMS + 1
    last = result.warnings[-1]
    assert (last.line, last.message) == (
        2 * MAX_PROBLEMS + 1,
        f"200 more warning(s) from this line on are not listed (the first {MAX_PROBLEMS:,} are)",
    )


def test_gift_categories_past_the_limit_are_refused() -> None:
    text = "".join(f"$CATEGORY: c{i}\n\n" for i in range(MAX_CATEGORIES + 1)) + "Q{T}"
    refused(parse_gift(text), f"more than {MAX_CATEGORIES:,} categories (the limit is {MAX_CATEGORIES:,})")
    assert len(parse_gift("$CATEGORY: same\n\n" * (MAX_CATEGORIES + 1) + "Q{T}").categories) == 1


def test_gift_tags_past_the_limit_are_dropped_with_a_warning() -> None:
    tags = " ".join(f"[tag:t{i}]" for i in range(MAX_TAGS + 20))
    [question] = parse_gift(f"// {tags}\nQ{{T}}").questions
    assert len(question.tags) == MAX_TAGS
    assert "20 tag(s) past the first 100 (the limit) were dropped" in str(parse_gift(f"// {tags}\nQ{{T}}").warnings[0])


def test_gift_ids_and_tags_in_a_long_comment_are_still_found() -> None:
    # A comment full of '[id:' without a closing ']' made the token search quadratic (minutes for 2 MiB).
    comment = "// " + "[id:" * (250 * KB) + "[tag:" * (250 * KB) + "\n// [id:real-id] [tag:kept]\n"
    [question] = parse_gift(comment + "Q{T}").questions
    assert question.id == "real-id" and question.tags == ("kept",)
    # As in Moodle, a token runs to the first ']' it can reach: here the whole first line is one id.
    spanning = parse_gift("// " + "[id:" * (250 * KB) + "real-id]\nQ{T}")
    assert spanning.questions[0].id == "question-q" and "is not a valid id" in spanning.warnings[0].message
    assert parse_gift("// " + "[tag:" * (500 * KB) + "\x01]\nQ{T}").questions[0].tags == ()


def test_gift_huge_ordering_count_is_read_not_crashed() -> None:
    [question] = parse_gift("Q{>" + "9" * 5000 + " ALL\nfirst\nsecond\nthird\n}").questions
    assert [i.text for i in question.items] == ["first", "second", "third"]


def test_a_long_number_is_refused_in_linear_time() -> None:
    # `\d+\.?\d*` tried every split of the digits before failing: quadratic (20,000 digits took 6 s).
    for text in ("Q{#" + "1" * (2 * KB * KB) + "x}", "Q{#1:" + "2" * (2 * KB * KB) + "x}"):
        assert "is not a number" in parse_gift(text).problems[0].message
    assert parse_number("1" * 100_000, 1) == float("1" * 100_000)


# --- Moodle XML ---------------------------------------------------------------------------------------------


def test_xml_nested_past_the_limit_is_refused_at_its_line() -> None:
    at_limit = "<quiz>" + "<a>" * (MAX_XML_DEPTH - 1) + "</a>" * (MAX_XML_DEPTH - 1) + "</quiz>"
    assert parse_moodle_xml(at_limit.encode()).problems == ()
    deep = "<quiz>\n" + "<a>\n" * (60 * KB) + "</a>" * (60 * KB) + "</quiz>"
    refused(parse_moodle_xml(deep.encode()), f"nested more than {MAX_XML_DEPTH} deep (the limit is {MAX_XML_DEPTH})", line=33)
    unclosed = "<quiz>" + "<a>" * (500 * KB)
    refused(parse_moodle_xml(unclosed.encode()), f"nested more than {MAX_XML_DEPTH} deep")


def test_xml_with_more_elements_than_the_limit_is_refused() -> None:
    assert parse_moodle_xml(("<quiz>" + "<a/>" * (MAX_XML_ELEMENTS - 1) + "</quiz>").encode()).refused is None
    many = ("<quiz>" + "<a/>" * MAX_XML_ELEMENTS + "</quiz>").encode()
    refused(parse_moodle_xml(many), f"more than {MAX_XML_ELEMENTS:,} elements (the limit is {MAX_XML_ELEMENTS:,})")


def test_xml_with_more_questions_than_the_limit_is_refused() -> None:
    one = '<question type="truefalse"><questiontext><text>Q</text></questiontext><answer fraction="100"><text>true</text></answer></question>\n'
    assert len(parse_moodle_xml(("<quiz>\n" + one * MAX_QUESTIONS + "</quiz>").encode()).questions) == MAX_QUESTIONS
    result = parse_moodle_xml(("<quiz>\n" + one * (MAX_QUESTIONS + 1) + "</quiz>").encode())
    refused(result, f"more than {MAX_QUESTIONS:,} questions", line=MAX_QUESTIONS + 2)


def test_xml_question_with_more_answers_than_the_limit_is_skipped() -> None:
    answers = '<answer fraction="0"><text>a</text></answer>' * (MAX_ANSWERS + 1)
    xml = f'<quiz><question type="multichoice"><questiontext><text>Q</text></questiontext>{answers}</question></quiz>'
    result = parse_moodle_xml(xml.encode())
    assert result.skipped == 1 and result.refused is None
    assert result.problems[0].message == f"the question has more than {MAX_ANSWERS} answers (the limit is {MAX_ANSWERS})"


@pytest.mark.parametrize("count", ["²", "9" * 5000])
def test_xml_select_count_that_is_no_plain_number_is_read_not_crashed(count: str) -> None:
    xml = (
        '<quiz><question type="ordering"><questiontext><text>Q</text></questiontext>'
        '<answer fraction="1"><text>a</text></answer><answer fraction="2"><text>b</text></answer>'
        f"<selecttype>RANDOM</selecttype><selectcount>{count}</selectcount></question></quiz>"
    )
    [question] = parse_moodle_xml(xml.encode()).questions
    assert [i.text for i in question.items] == ["a", "b"]


# --- Aiken --------------------------------------------------------------------------------------------------


def test_aiken_question_with_more_choices_than_the_limit_is_skipped() -> None:
    result = parse_aiken("Q?\n" + "A) x\n" * (100 * KB) + "ANSWER: A\nR?\nA) a\nB) b\nANSWER: B\n")
    assert [q.prompt for q in result.questions] == ["R?"] and result.skipped == 1
    assert result.problems[0].message == f"the question has more than {MAX_ANSWERS} choices (the limit is {MAX_ANSWERS})"


def test_aiken_limits_on_questions_and_problems() -> None:
    refused(parse_aiken("Qq\nA) x\nB) y\nANSWER: A\n" * (MAX_QUESTIONS + 1)), f"more than {MAX_QUESTIONS:,} questions")
    refused(parse_aiken("A) x\n" * (MAX_PROBLEMS + 1)), f"more than {MAX_PROBLEMS:,} errors", line=MAX_PROBLEMS + 1)


def test_yaml_bank_with_more_questions_than_the_limit_is_refused_at_the_first_one_past_it() -> None:
    def bank(count: int) -> str:
        rows = "".join(f"  - {{id: q-{i}, type: true_false, prompt: P, answer: true}}\n" for i in range(count))
        return "bank: {id: b-1, title: B}\nquestions:\n" + rows

    assert len(parse_yaml_bank(bank(MAX_QUESTIONS)).questions) == MAX_QUESTIONS
    refused(parse_yaml_bank(bank(MAX_QUESTIONS + 1)), f"more than {MAX_QUESTIONS:,} questions", line=MAX_QUESTIONS + 3)
