"""Item-writing checks: each fires on the flawed item it names and stays quiet on a well-written one."""

from __future__ import annotations

import textwrap
import typing
from pathlib import Path

import pytest
from pydantic import TypeAdapter

from edu.content import itemwriting, load_course, model
from edu.content.checking import failures, notes

QUESTION: TypeAdapter[model.Question] = TypeAdapter(model.Question)


def single(qid: str, key: str, *distractors: str, key_at: int = 0, prompt: str = "A patient asks. What next?") -> model.Question:
    options = [{"id": f"o{i}", "text": t, "feedback": "No."} for i, t in enumerate(distractors)]
    options.insert(key_at, {"id": "k", "text": key, "correct": True})
    return QUESTION.validate_python({"id": qid, "type": "single", "prompt": prompt, "options": options})


def tf(qid: str, answer: bool, prompt: str = "A statement about trigger points.") -> model.Question:
    return QUESTION.validate_python({"id": qid, "type": "true_false", "prompt": prompt, "answer": answer})


def multiple(qid: str, correct: list[str], wrong: list[str], correct_first: bool = True) -> model.Question:
    options = [{"id": f"c{i}", "text": t, "correct": True} for i, t in enumerate(correct)]
    wrongs = [{"id": f"w{i}", "text": t, "feedback": "No."} for i, t in enumerate(wrong)]
    ordered = options + wrongs if correct_first else wrongs + options
    return QUESTION.validate_python({"id": qid, "type": "multiple", "prompt": "Which apply?", "options": ordered})


def checks(findings: list[itemwriting.Finding]) -> list[str]:
    return [f.check for f in findings]


def test_the_waivable_check_ids_are_the_checks_that_exist() -> None:
    assert set(typing.get_args(model.CheckId)) == set(itemwriting.CHECKS) == itemwriting.ITEM_CHECKS | itemwriting.BANK_CHECKS


def test_key_longest_fires_on_a_long_hedged_key_and_not_on_even_options() -> None:
    cued = single("q1", "Stop, remove every needle and count them, then lay the patient supine", "Carry on", "Sit up", "Leave")
    assert checks(itemwriting.item_findings(cued)) == ["key-longest"]
    even = single(
        "q2", "Remove and count needles", "Carry on needling as planned", "Sit the patient up now", "Give them a glass of water"
    )
    assert checks(itemwriting.item_findings(even)) == []
    # Longest, but only just: below the ratio it is noise, not a cue.
    close = single(
        "q3",
        "Remove and count all the needles",
        "Continue the session as planned",
        "Sit the patient up and wait",
        "Offer them water and a rest",
    )
    assert itemwriting.key_is_unique_longest(close)  # type: ignore[arg-type]
    assert checks(itemwriting.item_findings(close)) == []


def test_absolute_words_fire_only_when_the_key_is_the_one_hedged_option() -> None:
    cued = single("q1", "It may reduce pain", "It always cures pain", "It never helps", "It helps a bit")
    assert checks(itemwriting.item_findings(cued)) == ["absolute-words"]
    alike = single("q2", "It never replaces", "It always cures pain", "It never helps", "It helps a bit")
    assert checks(itemwriting.item_findings(alike)) == []
    one = single("q3", "It may reduce pain", "It always cures pain", "It rarely helps", "It helps a bit")
    assert checks(itemwriting.item_findings(one)) == []


def test_a_false_statement_that_overclaims_is_flagged_and_a_true_one_is_not() -> None:
    assert checks(itemwriting.item_findings(tf("t1", False, "Dry needling always produces a twitch."))) == ["absolute-words"]
    assert checks(itemwriting.item_findings(tf("t2", True, "Dry needling always uses a solid needle."))) == []
    assert checks(itemwriting.item_findings(tf("t3", False, "A twitch confirms correct placement."))) == []


def test_all_or_none_of_the_above_is_flagged() -> None:
    item = single("q1", "All of the above", "One", "Two", "Three")
    assert "all-none-above" in checks(itemwriting.item_findings(item))
    assert "all-none-above" not in checks(itemwriting.item_findings(single("q2", "All four", "One", "Two", "Three")))


def test_bank_length_cue_share_counts_unique_longest_keys() -> None:
    cued = [single(f"q{i}", "a much longer key option text", "short", "brief", "tiny", key_at=i % 4) for i in range(4)]
    assert "length-cue-share" in checks(itemwriting.bank_findings(cued))
    fair = [single(f"q{i}", "key", "a longer distractor", "another one", "third choice", key_at=i % 4) for i in range(4)]
    assert checks(itemwriting.bank_findings(fair)) == []


def test_key_position_fires_when_keys_sit_in_one_place() -> None:
    same = [single(f"q{i}", "key", "one", "two", "six", key_at=0) for i in range(5)]
    assert checks(itemwriting.bank_findings(same)) == ["key-position"]
    spread = [single(f"q{i}", "key", "one", "two", "six", key_at=i % 4) for i in range(5)]
    assert checks(itemwriting.bank_findings(spread)) == []


def test_true_false_balance_allows_a_small_difference_only() -> None:
    assert checks(itemwriting.bank_findings([tf("ta", False), tf("tb", False), tf("tc", False)])) == ["tf-balance"]
    assert checks(itemwriting.bank_findings([tf("ta", False), tf("tb", True), tf("tc", False)])) == []
    ten = [tf(f"t{i}", i < 3) for i in range(10)]  # 3 True, 7 False
    assert checks(itemwriting.bank_findings(ten)) == ["tf-balance"]
    assert checks(itemwriting.bank_findings([tf(f"t{i}", i < 4) for i in range(10)])) == []


def test_multiple_response_items_must_vary_how_many_options_are_correct() -> None:
    same = [multiple(f"m{i}", ["a", "b", "c"], ["d", "e"], correct_first=False) for i in range(3)]
    assert checks(itemwriting.bank_findings(same)) == ["multiple-pattern"]
    varied = [multiple("m1", ["a", "b"], ["c", "d", "e"], False), multiple("m2", ["a", "b", "c"], ["d", "e"], False)]
    assert checks(itemwriting.bank_findings(varied)) == []
    assert checks(itemwriting.bank_findings([multiple("m1", ["a"], ["c", "d"]), multiple("m2", ["a", "b"], ["c"])])) == [
        "key-position"
    ]
    course = [multiple(f"m{i}", ["a", "b", "c"], ["d", "e"], False) for i in range(3)] + [multiple("mx", ["a"], ["b"], False)]
    assert checks(itemwriting.multiple_pattern_findings(course)) == ["multiple-pattern"]


def test_near_duplicates_are_flagged_unless_declared_enemies() -> None:
    a = single(
        "qa",
        "Remove and count every needle",
        "x1",
        "x2",
        "x3",
        prompt="A patient faints during upper trapezius needling. First step?",
    )
    b = single(
        "qb",
        "Remove and count every needle",
        "y1",
        "y2",
        "y3",
        prompt="During upper trapezius needling a patient faints. Your first step?",
    )
    c = single("qc", "Lower the table", "z1", "z2", "z3", prompt="Which outcome measure suits neck pain?")
    assert [(x, y) for x, y, _ in itemwriting.near_duplicates([a, b, c])] == [("qa", "qb")]
    b_enemy = QUESTION.validate_python({**b.model_dump(), "excludes": ["qa"]})
    assert itemwriting.near_duplicates([a, b_enemy, c]) == []


def test_enemy_groups_join_links_transitively() -> None:
    groups = itemwriting.enemy_groups({"b": ["a"], "c": ["b"], "x": [], "y": ["z"]})
    assert groups["a"] == groups["b"] == groups["c"] == "a"
    assert groups["y"] == groups["z"] == "y" and groups["x"] == "x"


def test_the_cue_only_guesser_scores_what_the_cues_give() -> None:
    assert itemwriting.guess_score(single("qs", "the longest option of all", "short", "brief", "tiny")) == 1.0
    assert itemwriting.guess_score(single("qs", "key", "a longer distractor", "short", "tiny")) == 0.0
    assert itemwriting.guess_score(single("qs", "same", "also", "four", "none")) == 0.25  # a four-way tie
    assert itemwriting.guess_score(tf("tt", False)) == 1.0 and itemwriting.guess_score(tf("tt", True)) == 0.0
    # Ticks the two long options: one correct of two keys, one wrong: (1 - 1) / 2, floored at 0.
    item = multiple("mm", ["a long correct option", "ok"], ["a long wrong option", "no", "nah"])
    assert itemwriting.guess_score(item) == 0.0
    item = multiple("mm", ["a long correct option", "another long correct"], ["no", "nah"])
    assert itemwriting.guess_score(item) == 1.0


BANK = """\
bank: {id: basics, title: Basics%(bank_waive)s}
questions:
  - id: q-001
    type: single
    objective: b.one
    prompt: A patient faints. What first?
    options:
      - {id: a, text: "Stop, remove every needle and count them, then lay the patient supine", correct: true}
      - {id: b, text: "Carry on", feedback: "No."}
      - {id: c, text: "Sit up", feedback: "No."}
    rationale: Why.
    references: [r1]%(item_waive)s
  - id: q-002
    type: true_false
    objective: b.one
    prompt: A twitch is never felt.
    answer: false
    feedback_wrong: No.
    rationale: Why.
    references: [r1]
"""


def _course(tmp_path: Path, item_waive: str = "", bank_waive: str = "") -> Path:
    root = tmp_path / "c"
    (root / "modules" / "basics" / "lessons").mkdir(parents=True)
    (root / "course.yaml").write_text(
        "id: cc\ntitle: C\nversion: '1.0'\nsummary: S\nce_hours: 1\nprovider: P\nmodules: [basics]\nreferences: references.yaml\n"
    )
    (root / "references.yaml").write_text("references:\n  - {id: r1, citation: A paper.}\n")
    (root / "modules" / "basics" / "module.yaml").write_text(
        "id: basics\ntitle: B\nsummary: S\nobjectives: [{id: b.one, text: T}]\nlessons: [lessons/01.md]\nbank: questions.yaml\n"
    )
    (root / "modules" / "basics" / "lessons" / "01.md").write_text("---\nid: one\ntitle: One\n---\nText.[^a]\n\n[^a]: A.\n")
    (root / "modules" / "basics" / "questions.yaml").write_text(BANK % {"item_waive": item_waive, "bank_waive": bank_waive})
    return root


def test_the_check_reports_findings_as_file_line_and_fails(tmp_path: Path) -> None:
    result = load_course(_course(tmp_path), display_root="c")
    assert result.course is not None and result.problems == []
    assert failures(result) == [
        "c/modules/basics/questions.yaml:6: warning: key-longest: the key is the longest option, 9.9x the mean distractor: "
        "even out the lengths",
        "c/modules/basics/questions.yaml:16: warning: absolute-words: a statement keyed False says 'never': "
        "the overclaim gives it away",
    ]


def test_a_waiver_silences_one_finding_and_the_check_prints_its_reason(tmp_path: Path) -> None:
    waiver = '\n    waive: {key-longest: "The safe sequence has three steps; shorter keys would drop one.", absolute-words: x}'
    result = load_course(_course(tmp_path, item_waive=waiver), display_root="c")
    assert [w for w in failures(result) if "key-longest" in w] == []
    assert (
        "c/modules/basics/questions.yaml:6: waived key-longest: The safe sequence has three steps; shorter keys would drop one."
        in notes(result)
    )
    assert any("absolute-words" in w for w in failures(result)), "a waiver on one item does not silence another"


def test_an_unknown_check_id_in_a_waiver_is_an_error(tmp_path: Path) -> None:
    result = load_course(_course(tmp_path, item_waive="\n    waive: {key-longer: typo}"), display_root="c")
    assert result.course is None
    assert any("waive" in str(p) and ":" in str(p) for p in result.problems)


def test_excludes_must_name_a_question_of_the_course(tmp_path: Path) -> None:
    root = _course(tmp_path)
    bank = root / "modules" / "basics" / "questions.yaml"
    bank.write_text(bank.read_text().replace("    references: [r1]\n", "    references: [r1]\n    excludes: [q-404]\n", 1))
    result = load_course(root, display_root="c")
    assert [str(p) for p in result.problems] == ["c/modules/basics/questions.yaml:3: excludes unknown question 'q-404'"]


@pytest.mark.parametrize("bank_waive", [", waive: {tf-balance: 'Two items; balanced in the full bank.'}"])
def test_bank_level_findings_can_be_waived_in_the_bank_header(tmp_path: Path, bank_waive: str) -> None:
    root = _course(tmp_path, bank_waive=bank_waive)
    bank = root / "modules" / "basics" / "questions.yaml"
    text = bank.read_text()
    extra = textwrap.dedent(
        """\
          - id: q-003
            type: true_false
            objective: b.one
            prompt: A twitch is a spinal reflex.
            answer: false
            feedback_wrong: No.
            rationale: Why.
            references: [r1]
          - id: q-004
            type: true_false
            objective: b.one
            prompt: A twitch is a cramp.
            answer: false
            feedback_wrong: No.
            rationale: Why.
            references: [r1]
        """
    )
    bank.write_text(text + textwrap.indent(extra, "  "))
    result = load_course(root, display_root="c")
    assert not any("tf-balance" in w for w in failures(result))
    assert any(n.startswith("c/modules/basics/questions.yaml:1: waived tf-balance:") for n in notes(result)), notes(result)


def test_a_quiz_that_its_enemies_leave_short_is_refused(tmp_path: Path) -> None:
    root = _course(tmp_path)
    module = root / "modules" / "basics" / "module.yaml"
    module.write_text(module.read_text() + "quiz: {questions: 2}\n")
    bank = root / "modules" / "basics" / "questions.yaml"
    bank.write_text(bank.read_text().replace("    references: [r1]\n", "    references: [r1]\n    excludes: [q-002]\n", 1))
    result = load_course(root, display_root="c")
    assert [str(p) for p in result.problems] == [
        "c/modules/basics/questions.yaml:1: the quiz draws 2 questions but its enemy groups leave 1"
    ]


def test_enemy_groups_among_a_draw_ignore_links_to_questions_outside_it() -> None:
    """fnd-012 and fnd-013 both exclude a scope item; drawn from foundations alone they are not enemies."""
    groups = itemwriting.enemy_groups_among({"fnd-012": ["sop-017"], "fnd-013": ["sop-017"], "fnd-014": ["fnd-013"]})
    assert groups["fnd-012"] != groups["fnd-013"] and groups["fnd-013"] == groups["fnd-014"]
    assert "sop-017" not in groups
