"""The instructor's bank pages through the browser's eyes: list, author, preview, versions, retire, import, export."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from edu.banks.models import BankImportDraft, Question, QuestionBank, QuestionVersion
from edu.db import session
from tests.conftest import csrf_token, login, post_form

GIFT = """// essay, not supported
::Essay:: Describe your day. {}

::Depth::[id:depth] How deep? {
=Shallow
~Deep#Too deep.
}

::TF:: The sky is green. {F}
"""


@pytest.fixture
def instructor(make_user, client):
    make_user("olive@example.com", "instructor", name="Olive Owner")
    assert login(client, "olive@example.com").status_code == 302
    return client


def bank_state(app, slug: str) -> list[tuple[str, int, bool, dict]]:
    with app.app_context():
        rows = session.execute(
            select(Question.key, QuestionVersion.number, Question.retired_at, QuestionVersion.data)
            .join(QuestionBank, QuestionBank.id == Question.bank_id)
            .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
            .where(QuestionBank.slug == slug)
            .order_by(Question.key)
        ).all()
        return [(key, number, retired is not None, data) for key, number, retired, data in rows]


def make_bank(client, title: str = "My bank") -> str:
    response = post_form(client, "/instructor/banks", {"title": title}, page="/instructor/banks")
    assert response.status_code == 302
    return response.headers["Location"].rsplit("/", 1)[-1]


SINGLE_FORM = {
    "type": "single",
    "key": "needle-depth",
    "prompt": "How **deep** should the needle go?",
    "difficulty": "hard",
    "tags": "safety, depth",
    "objective": "needling.safety",
    "rationale": "Secret rationale text.",
    "options-0-text": "Shallow",
    "options-0-correct": "y",
    "options-1-text": "Deep",
    "options-1-feedback": "Secret feedback: too deep.",
    "options-2-text": "",
}


def save(client, slug: str, data: dict, key: str | None = None, action: str = "save"):
    url = f"/instructor/banks/{slug}/questions/{key}/edit" if key else f"/instructor/banks/{slug}/questions/new"
    return post_form(client, url, {**data, "action": action}, page=f"/instructor/banks/{slug}")


# --- who may come in ------------------------------------------------------------------------------------


def test_learners_get_403_and_visitors_are_sent_to_log_in(client, learner):
    assert learner.get("/instructor/banks").status_code == 403
    assert post_form(learner, "/instructor/banks", {"title": "Mine"}, page="/account").status_code == 403
    learner.post("/logout", data={"csrf_token": csrf_token(learner, "/account")})
    response = client.get("/instructor/banks")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_course_banks_are_listed_previewable_exportable_but_read_only(app, instructor, mini_course):
    body = instructor.get("/instructor/banks").get_data(as_text=True)
    assert "Basics bank" in body and "Course file" in body and "Read-only" in body
    assert re.search(r"<td>5</td>\s*<td>0</td>", body)  # 5 in use, 0 retired
    assert "<li>safety</li>" in body
    page = instructor.get("/instructor/banks/basics").get_data(as_text=True)
    assert "q-single" in page and "Which is right?" in page
    assert "Retire" not in page and "/edit" not in page and "Import questions" not in page
    preview = instructor.get("/instructor/banks/basics/questions/q-single")
    assert preview.status_code == 200 and "Choose one answer." in preview.get_data(as_text=True)
    before = bank_state(app, "basics")
    assert save(instructor, "basics", {**SINGLE_FORM, "key": "new-one"}).status_code == 403
    assert save(instructor, "basics", {**SINGLE_FORM, "key": "q-single"}, key="q-single").status_code == 403
    assert instructor.get("/instructor/banks/basics/questions/q-single/edit").status_code == 403
    assert (
        post_form(instructor, "/instructor/banks/basics/questions/q-single/retire", page="/instructor/banks").status_code == 403
    )
    upload = {
        "csrf_token": csrf_token(instructor, "/instructor/banks"),
        "format": "gift",
        "file": (io.BytesIO(GIFT.encode()), "q.gift"),
    }
    assert instructor.post("/instructor/banks/basics/import", data=upload, content_type="multipart/form-data").status_code == 403
    assert bank_state(app, "basics") == before
    export = instructor.get("/instructor/banks/basics/export?format=yaml")
    assert export.status_code == 200 and "q-single" in export.get_data(as_text=True)


def test_another_instructors_bank_cannot_be_changed(app, client, make_user, instructor):
    slug = make_bank(instructor, "Olive's bank")
    assert save(instructor, slug, SINGLE_FORM).status_code == 302
    token_page = f"/instructor/banks/{slug}"
    instructor.post("/logout", data={"csrf_token": csrf_token(instructor, "/account")})
    make_user("otto@example.com", "instructor", name="Otto Other")
    login(client, "otto@example.com")
    before = bank_state(app, slug)
    page = client.get(token_page).get_data(as_text=True)
    assert "Only the instructor who created this bank" in page and "Retire" not in page
    assert save(client, slug, {**SINGLE_FORM, "prompt": "Hijacked"}, key="needle-depth").status_code == 403
    assert save(client, slug, {**SINGLE_FORM, "key": "extra"}).status_code == 403
    assert post_form(client, f"/instructor/banks/{slug}/questions/needle-depth/retire", page=token_page).status_code == 403
    upload = {"csrf_token": csrf_token(client, token_page), "format": "gift", "file": (io.BytesIO(GIFT.encode()), "q.gift")}
    assert client.post(f"/instructor/banks/{slug}/import", data=upload, content_type="multipart/form-data").status_code == 403
    confirm = post_form(client, f"/instructor/banks/{slug}/import/confirm", {"token": "x" * 43, "partial": "y"}, page=token_page)
    assert confirm.status_code == 403
    assert save(client, "no-such-bank", SINGLE_FORM).status_code == 404
    assert bank_state(app, slug) == before
    # an admin may change it
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    make_user("ada@example.com", "admin", name="Ada Admin")
    login(client, "ada@example.com")
    assert save(client, slug, {**SINGLE_FORM, "prompt": "Admin's prompt"}, key="needle-depth").status_code == 302
    assert bank_state(app, slug)[0][1] == 2


# --- authoring ------------------------------------------------------------------------------------------

TYPE_FORMS = {
    "single": (SINGLE_FORM, {"options": [
        {"id": "a", "text": "Shallow", "correct": True, "feedback": None},
        {"id": "b", "text": "Deep", "correct": False, "feedback": "Secret feedback: too deep."},
    ]}),
    "multiple": (
        {"type": "multiple", "key": "multi", "prompt": "Which two?", "scoring": "all_or_nothing",
         "options-0-text": "One", "options-0-correct": "y", "options-1-text": "Two", "options-1-correct": "y",
         "options-2-id": "x", "options-2-text": "Three", "options-2-feedback": "No."},
        {"scoring": "all_or_nothing", "options": [
            {"id": "a", "text": "One", "correct": True, "feedback": None},
            {"id": "b", "text": "Two", "correct": True, "feedback": None},
            {"id": "x", "text": "Three", "correct": False, "feedback": "No."},
        ]},
    ),
    "true_false": (
        {"type": "true_false", "key": "tf", "prompt": "Sky is green.", "answer_tf": "false", "feedback_wrong": "It is blue."},
        {"answer": False, "feedback_wrong": "It is blue."},
    ),
    "matching": (
        {"type": "matching", "key": "match", "prompt": "Match.", "pairs-0-prompt": "Cat", "pairs-0-answer": "Meow",
         "pairs-1-prompt": "Dog", "pairs-1-answer": "Woof", "extra_answers": "Moo\n\n", "feedback_wrong": "Listen."},
        {"pairs": [{"id": "p1", "prompt": "Cat", "answer": "Meow"}, {"id": "p2", "prompt": "Dog", "answer": "Woof"}],
         "extra_answers": ["Moo"], "feedback_wrong": "Listen."},
    ),
    "ordering": (
        {"type": "ordering", "key": "order", "prompt": "Order.", "items-0-text": "First", "items-1-text": "Second",
         "items-3-text": "Third"},
        {"items": [{"id": "i1", "text": "First"}, {"id": "i2", "text": "Second"}, {"id": "i3", "text": "Third"}]},
    ),
    "short_answer": (
        {"type": "short_answer", "key": "short", "prompt": "Name it.", "accepted": "trigger point\nTrP"},
        {"accepted": ["trigger point", "TrP"]},
    ),
    "numeric": (
        {"type": "numeric", "key": "num", "prompt": "How many mm?", "numeric_answer": "12,5", "tolerance": "0.5", "unit": "mm"},
        {"answer": 12.5, "tolerance": 0.5, "unit": "mm"},
    ),
}  # fmt: skip


@pytest.mark.parametrize("qtype", list(TYPE_FORMS))
def test_every_question_type_can_be_authored(app, instructor, qtype):
    slug = make_bank(instructor)
    form, expected = TYPE_FORMS[qtype]
    page = instructor.get(f"/instructor/banks/{slug}/questions/new?type={qtype}")
    assert page.status_code == 200 and f'<option selected value="{qtype}">' in page.get_data(as_text=True)
    response = save(instructor, slug, form)
    assert response.status_code == 302, response.get_data(as_text=True)
    [(key, number, retired, data)] = bank_state(app, slug)
    assert (key, number, retired, data["type"]) == (form["key"], 1, False, qtype)
    for name, value in expected.items():
        assert data[name] == value, name
    # the edit form shows it back, and saving it unchanged makes no new version
    edit = instructor.get(f"/instructor/banks/{slug}/questions/{key}/edit").get_data(as_text=True)
    assert "readonly" in edit
    assert save(instructor, slug, form, key=key).status_code == 302
    assert bank_state(app, slug)[0][1] == 1


def test_single_question_keeps_its_metadata(app, instructor):
    slug = make_bank(instructor)
    save(instructor, slug, SINGLE_FORM)
    [(_, _, _, data)] = bank_state(app, slug)
    assert (data["difficulty"], data["tags"], data["objective"], data["rationale"]) == (
        "hard",
        ["safety", "depth"],
        "needling.safety",
        "Secret rationale text.",
    )


def test_invalid_input_shows_plain_errors_next_to_fields_and_saves_nothing(app, instructor):
    slug = make_bank(instructor)
    bad = {
        **SINGLE_FORM,
        "key": "Bad Id",
        "prompt": "",
        "options-0-correct": "",
        "options-1-text": " ",
        "options-1-feedback": "x",
    }
    response = save(instructor, slug, bad)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "There is a problem: nothing was saved" in body
    assert re.search(r'id="key-error">Use lowercase letters, digits and hyphens', body)
    assert 'id="prompt-error">Enter some text.' in body
    assert 'id="options-1-text-error">Enter some text.' in body
    assert 'aria-invalid="true"' in body
    # rules about the question as a whole are checked once its fields are valid, and shown at the top
    no_key = save(instructor, slug, {**SINGLE_FORM, "options-0-correct": ""})
    assert no_key.status_code == 400
    assert "<li>a single-best-answer question needs exactly one correct option, found 0</li>" in no_key.get_data(as_text=True)
    numeric = save(instructor, slug, {"type": "numeric", "key": "n", "prompt": "How many?", "numeric_answer": "lots"})
    assert numeric.status_code == 400 and 'id="numeric_answer-error">Enter a number, such as 2.5.' in numeric.get_data(
        as_text=True
    )
    too_long = save(instructor, slug, {**SINGLE_FORM, "name": "x" * 400})
    assert too_long.status_code == 400 and "Field cannot be longer than 300 characters." in too_long.get_data(as_text=True)
    assert bank_state(app, slug) == []


def test_preview_button_renders_the_learner_view_without_the_key_and_saves_nothing(app, instructor):
    slug = make_bank(instructor)
    response = save(instructor, slug, SINGLE_FORM, action="preview")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    pane = body.split('id="preview-pane"', 1)[1].split("</aside>", 1)[0]
    assert "How <strong>deep</strong> should the needle go?" in pane and "Shallow" in pane and "Deep" in pane
    assert "Secret" not in pane and "correct" not in pane.lower()
    assert bank_state(app, slug) == []


def test_live_preview_endpoint_needs_the_csrf_header_and_escapes_input(instructor):
    token = csrf_token(instructor, "/instructor/banks")
    data = {**SINGLE_FORM, "prompt": "Hello <script>alert(1)</script> **there**"}
    assert instructor.post("/instructor/preview", data=data).status_code == 400  # no token anywhere
    response = instructor.post("/instructor/preview", data=data, headers={"X-CSRFToken": token})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<script>" not in html and "<strong>there</strong>" in html
    assert "Secret" not in html and 'value="a"' in html
    problems = instructor.post(
        "/instructor/preview", data={**SINGLE_FORM, "options-0-correct": ""}, headers={"X-CSRFToken": token}
    )
    assert "needs exactly one correct option" in problems.get_data(as_text=True)
    ordering = instructor.post("/instructor/preview", data=TYPE_FORMS["ordering"][0], headers={"X-CSRFToken": token})
    items = re.findall(r"<li>(\w+)</li>", ordering.get_data(as_text=True))
    assert sorted(items) == ["First", "Second", "Third"] and items != ["First", "Second", "Third"]


def test_edits_make_versions_and_the_history_shows_them(app, instructor):
    slug = make_bank(instructor)
    save(instructor, slug, SINGLE_FORM)
    response = save(instructor, slug, {**SINGLE_FORM, "prompt": "How deep, exactly?"}, key="needle-depth")
    assert response.status_code == 302
    assert "saved as version 2" in instructor.get(response.headers["Location"]).get_data(as_text=True)
    assert [(k, n) for k, n, _, _ in bank_state(app, slug)] == [("needle-depth", 2)]
    history = instructor.get(f"/instructor/banks/{slug}/questions/needle-depth/history").get_data(as_text=True)
    assert "Version 2" in history and "Version 1" in history and "Olive Owner" in history
    assert '<span class="diff-add">+ prompt: How deep, exactly?</span>' in history
    assert '<span class="diff-del">- prompt: How **deep** should the needle go?</span>' in history
    assert "no attempts yet" in history


def test_retire_and_unretire(app, instructor):
    slug = make_bank(instructor)
    save(instructor, slug, SINGLE_FORM)
    response = post_form(instructor, f"/instructor/banks/{slug}/questions/needle-depth/retire", page=f"/instructor/banks/{slug}")
    assert response.status_code == 302
    assert bank_state(app, slug)[0][2] is True
    page = instructor.get(f"/instructor/banks/{slug}").get_data(as_text=True)
    assert "Retired" in page and "Un-retire" in page
    post_form(instructor, f"/instructor/banks/{slug}/questions/needle-depth/unretire", page=f"/instructor/banks/{slug}")
    assert bank_state(app, slug)[0][2] is False
    assert post_form(instructor, f"/instructor/banks/{slug}/questions/nope/retire", page="/instructor/banks").status_code == 404


def test_bank_titles_are_validated_and_slugs_unique(app, instructor):
    bad = post_form(instructor, "/instructor/banks", {"title": ""}, page="/instructor/banks")
    assert bad.status_code == 400 and "Enter a title for the bank." in bad.get_data(as_text=True)
    assert make_bank(instructor, "Dry needling") == "dry-needling"
    assert make_bank(instructor, "Dry needling") == "dry-needling-2"


# --- import and export ----------------------------------------------------------------------------------


def upload(client, slug: str, content: bytes, filename: str = "q.gift", fmt: str = "auto", partial: bool = False):
    data = {"csrf_token": csrf_token(client, f"/instructor/banks/{slug}"), "format": fmt, "file": (io.BytesIO(content), filename)}
    if partial:
        data["partial"] = "y"
    return client.post(f"/instructor/banks/{slug}/import", data=data, content_type="multipart/form-data")


def test_import_shows_a_report_first_and_imports_nothing_partial_unless_asked(app, instructor):
    slug = make_bank(instructor)
    report = upload(instructor, slug, GIFT.encode())
    assert report.status_code == 200
    body = report.get_data(as_text=True)
    assert "Read as GIFT" in body and "Nothing has been imported yet" in body
    assert re.search(r"<td>2</td>\s*<td>Essay</td>\s*<td>Not imported</td>\s*<td>unsupported question type: essay</td>", body)
    # the button says what it does, and is itself the choice to skip what cannot be imported
    assert re.search(r'<button type="submit" class="button" name="partial" value="y"[^>]*>Import 2 and skip 1</button>', body)
    assert "Skipped: 1 that cannot be imported" in body
    assert bank_state(app, slug) == []
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', body).group(1)
    # a confirmation that does not ask to skip (a stale page, a hand-made request) imports nothing
    refused = post_form(
        instructor, f"/instructor/banks/{slug}/import/confirm", {"token": token}, page=f"/instructor/banks/{slug}"
    )
    assert refused.status_code == 400 and "Nothing was imported" in refused.get_data(as_text=True)
    assert bank_state(app, slug) == []
    done = post_form(
        instructor, f"/instructor/banks/{slug}/import/confirm", {"token": token, "partial": "y"}, page=f"/instructor/banks/{slug}"
    )
    assert done.status_code == 302
    assert "Imported 2 question(s) from q.gift: 2 new" in instructor.get(done.headers["Location"]).get_data(as_text=True)
    assert [k for k, *_ in bank_state(app, slug)] == ["depth", "tf"]
    # the draft is gone: confirming twice imports nothing more
    again = post_form(
        instructor, f"/instructor/banks/{slug}/import/confirm", {"token": token, "partial": "y"}, page=f"/instructor/banks/{slug}"
    )
    assert again.status_code == 404
    with app.app_context():
        assert session.scalar(select(func.count()).select_from(BankImportDraft)) == 0


def test_clean_import_needs_no_tick_and_detects_formats(app, instructor):
    slug = make_bank(instructor)
    aiken = b"Which is right?\nA) This\nB) That\nANSWER: A\n"
    report = upload(instructor, slug, aiken, filename="aiken.txt")
    body = report.get_data(as_text=True)
    assert "Read as Aiken" in body and 'name="partial"' not in body
    assert re.search(r'<button type="submit" class="button">Import 1 question</button>', body)
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', body).group(1)
    assert (
        post_form(
            instructor, f"/instructor/banks/{slug}/import/confirm", {"token": token}, page=f"/instructor/banks/{slug}"
        ).status_code
        == 302
    )
    assert len(bank_state(app, slug)) == 1


def confirm_token(body: str) -> str:
    return re.search(r'name="token" type="hidden" value="([^"]+)"', body).group(1)


def test_the_import_button_counts_only_what_changes_and_is_not_offered_for_a_no_op(app, instructor):
    slug = make_bank(instructor)
    first = "::A::Is A right? {T}\n\n::B::Is B right? {F}\n"
    report = upload(instructor, slug, first.encode()).get_data(as_text=True)
    stale_tab = upload(instructor, slug, first.encode()).get_data(as_text=True)
    assert "Import 2 questions</button>" in report and "Import 2 questions</button>" in stale_tab
    done = post_form(
        instructor, f"/instructor/banks/{slug}/import/confirm", {"token": confirm_token(report)}, page=f"/instructor/banks/{slug}"
    )
    assert done.status_code == 302
    # confirming the other tab's report would write nothing: refused and said so, not a silent no-op
    refused = post_form(
        instructor,
        f"/instructor/banks/{slug}/import/confirm",
        {"token": confirm_token(stale_tab)},
        page=f"/instructor/banks/{slug}",
    )
    assert refused.status_code == 400
    assert "Nothing was imported: every question in the file is already in the bank, unchanged." in refused.get_data(as_text=True)
    # the same file again would write nothing: no button, and the page says why
    again = upload(instructor, slug, first.encode()).get_data(as_text=True)
    assert "0 new, 0 changed (each becomes a new version), 2 already in the bank unchanged" in again
    assert "<button" not in again.split("<h2>Questions that can be imported</h2>", 1)[1]
    assert "Every question in the file is already in the bank, unchanged" in again
    # one changed, one unchanged, one new and one that cannot be imported: import 2, skip 2
    mixed = "::A::Is A right? {F}\n\n::B::Is B right? {F}\n\n::C::Is C right? {T}\n\n::E:: Essay {}\n"
    report = upload(instructor, slug, mixed.encode()).get_data(as_text=True)
    assert "1 new, 1 changed (each becomes a new version), 1 already in the bank unchanged" in report
    assert "Skipped: 1 that cannot be imported (marked “Not imported” above); 1 already in the bank unchanged." in report
    assert re.search(r'name="partial" value="y"[^>]*>Import 2 and skip 2</button>', report)
    done = post_form(
        instructor,
        f"/instructor/banks/{slug}/import/confirm",
        {"token": confirm_token(report), "partial": "y"},
        page=f"/instructor/banks/{slug}",
    )
    assert done.status_code == 302
    assert "Imported 2 question(s) from q.gift: 1 new, 1 updated (new version), 1 unchanged." in instructor.get(
        done.headers["Location"]
    ).get_data(as_text=True)
    assert [(key, number) for key, number, *_ in bank_state(app, slug)] == [
        ("question-a", 2),
        ("question-b", 1),
        ("question-c", 1),
    ]


def test_upload_limits_and_bad_files_get_clear_messages(app, instructor):
    slug = make_bank(instructor)
    app.config["BANK_UPLOAD_MAX_BYTES"] = 1024
    big = upload(instructor, slug, b"x" * 2000)
    assert big.status_code == 413 and "The file is larger than 1 KiB" in big.get_data(as_text=True)
    empty = upload(instructor, slug, b"")
    assert empty.status_code == 400 and "The file is empty." in empty.get_data(as_text=True)
    latin = upload(instructor, slug, "Caf\xe9 ? {T}".encode("latin-1"))
    assert latin.status_code == 200 and "not UTF-8" in latin.get_data(as_text=True)
    with app.app_context():
        assert session.scalar(select(func.count()).select_from(Question)) == 0


@pytest.mark.parametrize(
    ("fmt", "filename", "content_type", "marker"),
    [
        ("gift", "my-bank.gift.txt", "text/plain; charset=utf-8", "[id:needle-depth]"),
        ("moodle-xml", "my-bank.xml", "application/xml; charset=utf-8", "<quiz>"),
        ("yaml", "my-bank.yaml", "application/yaml; charset=utf-8", "bank:"),
    ],
)
def test_export_downloads_with_filename_and_type(instructor, fmt, filename, content_type, marker):
    slug = make_bank(instructor)
    save(instructor, slug, SINGLE_FORM)
    response = instructor.get(f"/instructor/banks/{slug}/export?format={fmt}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    assert response.headers["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert marker in response.get_data(as_text=True) and "needle-depth" in response.get_data(as_text=True)
    assert instructor.get(f"/instructor/banks/{slug}/export?format=pdf").status_code == 400


# --- statement counts -----------------------------------------------------------------------------------


def fill(app, slug: str, count: int) -> None:
    from edu.banks import import_export
    from edu.banks import services as banks

    with app.app_context():
        bank = banks.get_bank(None, slug)
        items = [
            banks.validate_question(
                {
                    "id": f"q-{n}",
                    "type": "single",
                    "prompt": f"Question {n}?",
                    "tags": [f"t{n % 3}"],
                    "options": [{"id": "a", "text": "A", "correct": True}, {"id": "b", "text": "B"}],
                }
            )
            for n in range(count)
        ]
        import_export.import_questions(None, bank, items)
        session.commit()


def test_list_and_bank_pages_issue_the_same_statements_for_5_or_30_questions(app, instructor, count_queries):
    small, large = make_bank(instructor, "Small"), make_bank(instructor, "Large")
    fill(app, small, 5)
    counts = {}
    for label, slug in (("small", small), ("large", large)):
        if label == "large":
            fill(app, large, 30)
        with count_queries() as listing:
            assert instructor.get("/instructor/banks").status_code == 200
        with count_queries() as page:
            response = instructor.get(f"/instructor/banks/{slug}")
            assert response.status_code == 200
        assert response.get_data(as_text=True).count('<tr id="q-') == (5 if label == "small" else 30)
        counts[label] = (len(listing), len(page))
    assert counts["small"] == counts["large"]
    print("statements (list, bank page):", counts)


def test_history_shows_attempt_statistics_per_version(app, instructor, make_user):
    from edu.catalog.models import Course
    from edu.db import utcnow
    from edu.quizzes.models import Attempt, AttemptItem, Quiz

    slug = make_bank(instructor)
    save(instructor, slug, SINGLE_FORM)
    save(instructor, slug, {**SINGLE_FORM, "key": "other"})
    learners = [make_user(f"l{n}@example.com") for n in range(3)]
    with app.app_context():
        versions = dict(
            session.execute(
                select(Question.key, Question.current_version_id).join(QuestionBank).where(QuestionBank.slug == slug)
            ).all()
        )
        ids = dict(session.execute(select(Question.key, Question.id)).all())
        course = Course(slug="c", title="C")
        session.add(course)
        session.flush()
        quiz = Quiz(course_id=course.id, kind="module", key="m", title="Quiz", questions=2)
        session.add(quiz)
        session.flush()
        for n, (user_id, (mark, rest)) in enumerate(zip(learners, [(1.0, 1.0), (1.0, 0.0), (0.0, 0.0)], strict=True)):
            attempt = Attempt(quiz_id=quiz.id, user_id=user_id, number=1, seed=n, state="submitted", graded_at=utcnow())
            session.add(attempt)
            session.flush()
            for slot, (key, fraction) in enumerate((("needle-depth", mark), ("other", rest)), start=1):
                session.add(
                    AttemptItem(
                        attempt_id=attempt.id,
                        slot=slot,
                        question_id=ids[key],
                        question_version_id=versions[key],
                        fraction=fraction,
                    )
                )
        session.commit()
    history = instructor.get(f"/instructor/banks/{slug}/questions/needle-depth/history").get_data(as_text=True)
    # 3 attempts, facility 2/3; item (1, 1, 0) against rest (1, 0, 0): correlation 0.5
    assert re.search(r"<td>3</td>\s*<td>67 %</td>\s*<td>50 %</td>", history)
    assert "no attempts yet" not in history


def test_the_preview_of_an_ordering_question_starts_in_any_order_as_an_attempt_does() -> None:
    """The instructor's "as a learner sees it" preview used to rotate away the correct order, so a two-item question
    always previewed reversed; attempts draw a uniform shuffle, and the preview now does the same."""
    from edu.banks.views import learner_context
    from edu.content.model import OrderingQuestion, OrderItem

    starts = set()
    for n in range(40):
        item = OrderingQuestion(
            type="ordering", id=f"o-{n}", prompt="?", items=(OrderItem(id="a", text="A"), OrderItem(id="b", text="B"))
        )
        starts.add(tuple(i.id for i in learner_context(item)["order"]))
    assert starts == {("a", "b"), ("b", "a")}
