"""Instructor pages for question banks: list, author and preview questions, versions, retire, import, export.

Every route needs the instructor role (admins pass too). Which banks a user may change is edu.banks.policy's
rule, which the services apply: course banks never, authored banks by their creator or an admin. The history page
also shows how each version performed in attempts, which it asks edu.results for (views compose domains).
"""

from __future__ import annotations

import random
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from edu.auth.models import Role
from edu.auth.permissions import role_required
from edu.content import model
from edu.content.render import plain_text, render_inline, render_markdown
from edu.db import session
from edu.errors import Invalid
from edu.results.analysis import version_statistics
from edu.service_call import service_call

from . import import_export, policy
from . import services as banks
from .forms import (
    TYPE_SECTIONS,
    BankForm,
    ConfirmImportForm,
    ImportForm,
    QuestionForm,
    data_to_form,
    form_to_data,
    pad_rows,
    place_problems,
)
from .models import QuestionBank

bp = Blueprint("banks", __name__, url_prefix="/instructor")

UPLOAD_LIMIT = 2 * 1024 * 1024
"""Largest file accepted for import in the browser (BANK_UPLOAD_MAX_BYTES overrides it)."""


def _upload_limit() -> int:
    return int(current_app.config.get("BANK_UPLOAD_MAX_BYTES", UPLOAD_LIMIT))


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MiB" if size >= 1024 * 1024 else f"{max(1, size // 1024)} KiB"


# --- the learner's view of a question, for previews ------------------------------------------------------


def learner_context(item: model.Question) -> dict[str, Any]:
    """What a learner would see: texts rendered and sanitised as the attempt page renders them (prompts as blocks;
    options, pairs and steps inline; matching answers as plain words), no correctness, ordering items in a uniform
    shuffle (as in an attempt, the correct order included: excluding it would make a two-item preview always reversed)."""
    context: dict[str, Any] = {"q": item, "md": render_markdown, "inline": render_inline, "plain": plain_text}
    if isinstance(item, model.OrderingQuestion):
        order = list(item.items)
        random.Random(item.id).shuffle(order)
        context["order"] = order
    if isinstance(item, model.MatchingQuestion):
        context["answers"] = sorted({p.answer for p in item.pairs} | set(item.extra_answers), key=str.casefold)
    return context


def _render_preview(item: model.Question) -> str:
    return render_template("banks/_preview.html", **learner_context(item))


# --- banks ---------------------------------------------------------------------------------------------


def _index_page(form: BankForm, status: int = 200) -> tuple[str, int]:
    summaries = banks.list_banks(current_user)
    return render_template("banks/index.html", summaries=summaries, form=form), status


@bp.get("/banks")
@role_required(Role.INSTRUCTOR)
def index() -> tuple[str, int]:
    return _index_page(BankForm())


@bp.post("/banks")
@role_required(Role.INSTRUCTOR)
def create_bank() -> WerkzeugResponse | tuple[str, int]:
    form = BankForm()
    if not form.validate_on_submit():
        return _index_page(form, 400)
    with service_call(form.title, catching=Invalid) as call:
        bank = banks.create_bank(current_user, form.title.data or "")
    if call.failed:
        return _index_page(form, call.status)
    flash(f"Bank “{bank.title}” created. Add questions, or import a file.", "success")
    return redirect(url_for("banks.bank", slug=bank.slug))


def _bank_page(bank: QuestionBank, import_form: ImportForm | None = None, status: int = 200) -> tuple[str, int]:
    rows = banks.bank_questions(current_user, bank)
    return (
        render_template(
            "banks/bank.html",
            bank=bank,
            rows=rows,
            editable=policy.can_edit(current_user, bank),
            import_form=import_form or ImportForm(),
            type_labels=banks.TYPE_LABELS,
            export_formats=import_export.EXPORT_FORMATS,
            upload_limit=_mib(_upload_limit()),
        ),
        status,
    )


@bp.get("/banks/<slug>")
@role_required(Role.INSTRUCTOR)
def bank(slug: str) -> tuple[str, int]:
    return _bank_page(banks.get_bank(current_user, slug))


@bp.get("/banks/<slug>/export")
@role_required(Role.INSTRUCTOR)
def export(slug: str) -> Response:
    found = banks.get_bank(current_user, slug)
    exported = import_export.export_bank(current_user, found, request.args.get("format", "gift"))
    return Response(
        exported.body,
        headers={
            "Content-Type": exported.content_type,
            "Content-Disposition": f'attachment; filename="{exported.filename}"',
            "Cache-Control": "no-store",
        },
    )


# --- questions -----------------------------------------------------------------------------------------


@bp.get("/banks/<slug>/questions/<key>")
@role_required(Role.INSTRUCTOR)
def question(slug: str, key: str) -> str:
    found = banks.get_bank(current_user, slug)
    row = banks.get_question(current_user, found, key)
    if row.version is None:
        abort(404)
    item = banks.as_model(row.data)
    return render_template(
        "banks/question.html",
        bank=found,
        row=row,
        item=item,
        preview=_render_preview(item),
        editable=policy.can_edit(current_user, found),
        type_labels=banks.TYPE_LABELS,
        md=render_markdown,
    )


def _wtforms_errors(form: QuestionForm) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for fld in form:
        if fld.name == "csrf_token":
            continue
        if fld.type == "FieldList":
            for entry in fld.entries:
                for sub in entry.form:
                    if sub.errors:
                        errors[sub.id] = list(sub.errors)
        elif fld.errors:
            errors[fld.id] = list(fld.errors)
    return errors


def _labels(form: QuestionForm) -> dict[str, str]:
    return {fld.id: fld.label.text for fld in form}


def _editor(found: QuestionBank, key: str | None) -> WerkzeugResponse | tuple[str, int]:
    row = banks.get_question(current_user, found, key) if key is not None else None
    form = QuestionForm()
    if request.method == "GET":
        if row is not None:
            data_to_form(form, row.data)
        elif request.args.get("type") in model.QUESTION_TYPES:
            form.type.data = request.args["type"]
    errors: dict[str, list[str]] = {}
    summary: list[tuple[str | None, str]] = []
    preview: str | None = None
    status = 200
    if request.method == "POST":
        if row is not None:
            form.key.data = row.question.key
        if not form.validate_on_submit():
            errors = _wtforms_errors(form)
            summary = [(fid, f"{_labels(form).get(fid, 'A field')}: {' '.join(msgs)}") for fid, msgs in errors.items()]
            status = 400
        else:
            draft = form_to_data(form)
            problems = list(draft.problems)
            item: model.Question | None = None
            try:
                item = banks.validate_question(draft.data)
            except banks.QuestionInvalid as exc:
                seen = {p.path for p in problems}
                problems += [p for p in exc.problems if p.path not in seen]
            if not problems and item is not None and request.form.get("action") != "preview":
                try:
                    saved = banks.save_question(current_user, found, item, key)
                except banks.QuestionInvalid as exc:
                    session.rollback()
                    problems = list(exc.problems)
                else:
                    session.commit()
                    if saved.version is None:
                        flash(f"No changes to question {saved.question.key}: no new version was made.", "info")
                    elif saved.created:
                        flash(f"Question {saved.question.key} saved.", "success")
                    else:
                        flash(f"Question {saved.question.key} saved as version {saved.version.number}.", "success")
                    return redirect(url_for("banks.bank", slug=found.slug) + f"#q-{saved.question.key}")
            if problems:
                errors, summary = place_problems(problems, draft, _labels(form))
                status = 400
            elif item is not None:
                preview = _render_preview(item)
    pad_rows(form)
    return (
        render_template(
            "banks/edit.html",
            bank=found,
            row=row,
            form=form,
            errors=errors,
            summary=summary,
            preview=preview,
            sections=TYPE_SECTIONS,
            type_labels=banks.TYPE_LABELS,
        ),
        status,
    )


@bp.route("/banks/<slug>/questions/new", methods=["GET", "POST"])
@role_required(Role.INSTRUCTOR)
def new_question(slug: str) -> WerkzeugResponse | tuple[str, int]:
    return _editor(banks.get_editable_bank(current_user, slug), None)


@bp.route("/banks/<slug>/questions/<key>/edit", methods=["GET", "POST"])
@role_required(Role.INSTRUCTOR)
def edit_question(slug: str, key: str) -> WerkzeugResponse | tuple[str, int]:
    return _editor(banks.get_editable_bank(current_user, slug), key)


@bp.post("/banks/<slug>/questions/<key>/retire")
@role_required(Role.INSTRUCTOR)
def retire(slug: str, key: str) -> WerkzeugResponse:
    found = banks.get_bank(current_user, slug)
    banks.retire_question(current_user, found, key)
    session.commit()
    flash(f"Question {key} retired: it stays in past attempts but is no longer drawn.", "success")
    return redirect(url_for("banks.bank", slug=found.slug) + f"#q-{key}")


@bp.post("/banks/<slug>/questions/<key>/unretire")
@role_required(Role.INSTRUCTOR)
def unretire(slug: str, key: str) -> WerkzeugResponse:
    found = banks.get_bank(current_user, slug)
    banks.unretire_question(current_user, found, key)
    session.commit()
    flash(f"Question {key} is back in use.", "success")
    return redirect(url_for("banks.bank", slug=found.slug) + f"#q-{key}")


@bp.get("/banks/<slug>/questions/<key>/history")
@role_required(Role.INSTRUCTOR)
def history(slug: str, key: str) -> str:
    found = banks.get_bank(current_user, slug)
    row, entries = banks.question_history(current_user, found, key)
    figures = version_statistics(current_user, [e.version.id for e in entries])
    return render_template("banks/history.html", bank=found, row=row, entries=entries, figures=figures)


@bp.post("/preview")
@role_required(Role.INSTRUCTOR)
def preview() -> tuple[str, int]:
    """The editor's live preview: the posted form rendered as the learner would see it.

    CSRF is checked by CSRFProtect on every POST (the script sends the token in X-CSRFToken).
    """
    form = QuestionForm(meta={"csrf": False})
    if not form.validate():
        messages = [
            f"{form[name].label.text}: {' '.join(str(e) for e in errs)}" for name, errs in form.errors.items() if name in form
        ]
        return render_template("banks/_preview_problems.html", messages=messages or ["Some fields are too long."]), 200
    draft = form_to_data(form)
    try:
        item = banks.validate_question(draft.data)
    except banks.QuestionInvalid as exc:
        _, summary = place_problems(list(draft.problems) + list(exc.problems), draft, _labels(form))
        return render_template("banks/_preview_problems.html", messages=[m for _, m in summary]), 200
    if draft.problems:
        _, summary = place_problems(draft.problems, draft, _labels(form))
        return render_template("banks/_preview_problems.html", messages=[m for _, m in summary]), 200
    return _render_preview(item), 200


# --- import --------------------------------------------------------------------------------------------


@bp.post("/banks/<slug>/import")
@role_required(Role.INSTRUCTOR)
def import_upload(slug: str) -> tuple[str, int]:
    """Read the file and show its report; nothing is imported until the instructor confirms."""
    found = banks.get_editable_bank(current_user, slug)
    form = ImportForm()
    if not form.validate_on_submit():
        return _bank_page(found, form, 400)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        form.file.errors = ["Choose a file to import."]
        return _bank_page(found, form, 400)
    limit = _upload_limit()
    content = upload.stream.read(limit + 1)
    if len(content) > limit:
        form.file.errors = [f"The file is larger than {_mib(limit)}, the most this page accepts. Split it into smaller files."]
        return _bank_page(found, form, 413)
    if not content.strip():
        form.file.errors = ["The file is empty."]
        return _bank_page(found, form, 400)
    filename = upload.filename.replace("\\", "/").rsplit("/", 1)[-1][:200]
    fmt = form.format.data if form.format.data in import_export.IMPORT_FORMATS else import_export.detect_format(filename, content)
    result = import_export.parse_source(content, fmt)
    if result.refused is not None:  # past a reader's limit (nesting, size, counts): nothing to report on or keep
        form.file.errors = [f"The file was not read: line {result.refused.line}: {result.refused.message}."]
        return _bank_page(found, form, 400)
    draft = import_export.create_draft(current_user, found, filename, fmt, content)
    session.commit()
    confirm = ConfirmImportForm(formdata=None, token=draft.token)
    return _report(found, draft.filename, fmt, result, confirm, None, 200)


def _report(
    found: QuestionBank,
    filename: str,
    fmt: str,
    result: Any,
    confirm: ConfirmImportForm,
    message: str | None,
    status: int,
    plan: import_export.ImportSummary | None = None,
) -> tuple[str, int]:
    """The report, and a confirm button that says what it will do; none when the import would write nothing."""
    return (
        render_template(
            "banks/import_report.html",
            bank=found,
            filename=filename,
            format_label=import_export.IMPORT_FORMATS.get(fmt, fmt),
            result=result,
            plan=plan or import_export.plan_import(current_user, found, result.questions),
            confirm=confirm,
            message=message,
            type_labels=banks.TYPE_LABELS,
        ),
        status,
    )


@bp.post("/banks/<slug>/import/confirm")
@role_required(Role.INSTRUCTOR)
def import_confirm(slug: str) -> WerkzeugResponse | tuple[str, int]:
    found = banks.get_editable_bank(current_user, slug)
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        abort(400)
    draft = import_export.get_draft(current_user, found, form.token.data or "")
    result = import_export.parse_source(draft.content, draft.format)
    if result.errors and not form.partial.data:  # the report's button asks to skip them; this request did not
        message = (
            f"Nothing was imported: {result.skipped} question(s) in the file cannot be imported. Fix the file and "
            "upload it again, or import the others and skip these with the button below."
        )
        return _report(found, draft.filename, draft.format, result, form, message, 400)
    if not result.questions:
        return _report(
            found, draft.filename, draft.format, result, form, "Nothing was imported: the file has no valid questions.", 400
        )
    plan = import_export.plan_import(current_user, found, result.questions)
    if not plan.stored:  # the bank changed since the report (or the file holds only what it has): a no-op, said so
        message = "Nothing was imported: every question in the file is already in the bank, unchanged."
        return _report(found, draft.filename, draft.format, result, form, message, 400, plan)
    summary = import_export.import_questions(current_user, found, result.questions)
    filename = draft.filename
    import_export.discard_draft(draft)
    session.commit()
    skipped = f" {result.skipped} question(s) were skipped." if result.skipped else ""
    flash(f"Imported {summary.stored} question(s) from {filename}: {summary}.{skipped}", "success")
    return redirect(url_for("banks.bank", slug=found.slug))
