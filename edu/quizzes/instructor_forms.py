"""Forms of the instructor's quiz pages: quiz assembly and accommodations (the regrade form is edu.results').

WTForms parses and bounds the input, and this module turns the quiz editor's form into the plain QuizSpec the
service takes (and a quiz back into the form); the services (assembly.validate_spec,
accommodations.set_accommodation) hold the rules and put their messages on the page. Rows of draws, minimums and
feedback bands are fixed-size lists with blank rows to fill in, so the pages work without JavaScript; blank rows
are ignored.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    DecimalField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from edu.auth.emails import UsableEmail
from edu.errors import Invalid
from edu.storable import coerce_id, parse_id

from .assembly import DrawSpec, EditorOptions, QuizSpec
from .grading_methods import GRADING_METHODS
from .models import DEFAULT_REVIEW, REVIEW_PARTS, Quiz

DRAW_ROWS = 4
MINIMUM_ROWS = 3
BAND_ROWS = 4

REVIEW_LABELS = {
    "score": "Score",
    "correctness": "Right or wrong per question",
    "response": "Their own responses",
    "option_feedback": "Feedback on a wrong option they chose (single answer, true/false), never the key",
    "key": "The correct answers",
    "feedback": "Rationale and all feedback",
}
REVIEW_MOMENTS = {
    "after_submit": "After each attempt",
    "after_pass": "Once they have passed",
    "after_last": "After their last allowed attempt",
}
OVERDUE = {
    "autosubmit": "Submit automatically at the deadline",
    "graceperiod": "Allow a grace period to submit (answers cannot change)",
}


def _choices(labels: dict[str, str]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class DrawForm(Form):
    bank = SelectField("Bank", coerce=str, validate_choice=False)
    tag = StringField("Only questions tagged", validators=[Optional(), Length(max=60)], filters=[_strip])
    count = IntegerField("How many", validators=[Optional(), NumberRange(min=1, max=200, message="Draw 1 to 200.")])


class MinimumForm(Form):
    tag = StringField("Tag", validators=[Optional(), Length(max=60)], filters=[_strip])
    count = IntegerField("At least", validators=[Optional(), NumberRange(min=1, max=200, message="Between 1 and 200.")])


class BandForm(Form):
    min = IntegerField("From score (%)", validators=[Optional(), NumberRange(min=0, max=100, message="0 to 100.")])
    text = TextAreaField("Feedback", validators=[Length(max=2000)], filters=[_strip])


class QuizForm(FlaskForm):
    title = StringField(
        "Title", validators=[DataRequired(message="Enter a title for the quiz."), Length(max=300)], filters=[_strip]
    )
    course = SelectField(
        "Course",
        coerce=str,
        validate_choice=False,
        description="Learners enrolled in this course can take the quiz.",
    )
    fixed = SelectMultipleField("Always include these questions", coerce=coerce_id, validate_choice=False)
    draws = FieldList(FormField(DrawForm), min_entries=DRAW_ROWS, max_entries=12)
    minimums = FieldList(FormField(MinimumForm), min_entries=MINIMUM_ROWS, max_entries=12)
    pass_mark = IntegerField(
        "Pass mark (%)",
        validators=[InputRequired(message="Enter a pass mark."), NumberRange(min=1, max=100, message="Between 1 and 100.")],
        default=70,
    )
    attempts_allowed = IntegerField(
        "Attempts allowed",
        validators=[Optional(), NumberRange(min=1, max=100, message="Between 1 and 100.")],
        default=3,
        description="Leave blank for unlimited attempts.",
    )
    delay_minutes = IntegerField(
        "Wait between attempts (minutes)",
        validators=[InputRequired(message="Enter 0 for no wait."), NumberRange(min=0, max=10080, message="0 to 10080.")],
        default=0,
    )
    time_limit_minutes = IntegerField(
        "Time limit (minutes)",
        validators=[Optional(), NumberRange(min=1, max=600, message="Between 1 and 600.")],
        description="Leave blank for no time limit.",
    )
    grading_method = SelectField("Grade by", choices=_choices(GRADING_METHODS), default="highest")
    overdue_handling = SelectField("When time runs out", choices=_choices(OVERDUE), default="autosubmit")
    grace_minutes = IntegerField(
        "Grace period (minutes)",
        validators=[InputRequired(message="Enter 0 for none."), NumberRange(min=0, max=120, message="0 to 120.")],
        default=0,
    )
    after_submit = CheckboxesField(REVIEW_MOMENTS["after_submit"], choices=_choices(REVIEW_LABELS))
    after_pass = CheckboxesField(REVIEW_MOMENTS["after_pass"], choices=_choices(REVIEW_LABELS))
    after_last = CheckboxesField(REVIEW_MOMENTS["after_last"], choices=_choices(REVIEW_LABELS))
    bands = FieldList(FormField(BandForm), min_entries=BAND_ROWS, max_entries=12)


assert set(REVIEW_LABELS) == set(REVIEW_PARTS)


class LearnerSearchForm(FlaskForm):
    class Meta:
        csrf = False

    email = StringField("Learner's email", validators=[Optional(), Length(max=254)], filters=[_strip])


class AccommodationForm(FlaskForm):
    email = StringField(
        "Learner's email",
        validators=[DataRequired(message="Enter the learner's email."), UsableEmail(), Length(max=254)],
        filters=[_strip],
    )
    scope = SelectField("Applies to", coerce=str, validate_choice=False)
    time_multiplier = DecimalField(
        "Time multiplier",
        places=2,
        default=1,
        validators=[InputRequired(message="Enter 1 for no extra time."), NumberRange(min=1, max=4, message="Between 1 and 4.")],
        description="1.5 gives half as much time again.",
    )
    extra_minutes = IntegerField(
        "Extra minutes",
        default=0,
        validators=[InputRequired(message="Enter 0 for none."), NumberRange(min=0, max=600, message="0 to 600.")],
    )
    extra_attempts = IntegerField(
        "Extra attempts",
        default=0,
        validators=[InputRequired(message="Enter 0 for none."), NumberRange(min=0, max=20, message="0 to 20.")],
    )
    note = StringField("Note (optional)", validators=[Optional(), Length(max=300)], filters=[_strip])


def offer_scopes(form: AccommodationForm, scopes: list[tuple[str, str]]) -> None:
    """The scopes the service says the actor may choose, as the form's choices."""
    form.scope.choices = [SelectChoice(value, label) for value, label in scopes]


# --- the quiz editor's form <-> QuizSpec ------------------------------------------------------------------------------


def fill_choices(form: QuizForm, options: EditorOptions) -> None:
    form.course.choices = [SelectChoice("", "Choose a course…")] + [SelectChoice(str(i), t) for i, t in options.courses]
    banks = [SelectChoice("", "Choose a bank…")] + [SelectChoice(str(b.id), b.title) for b, _ in options.banks]
    for entry in form.draws:
        entry.form.bank.choices = banks
    form.fixed.choices = [SelectChoice(q.id, q.key) for _, questions in options.banks for q in questions]


def _pad(field_list: Any, rows: int) -> None:
    while len(field_list) < rows:
        field_list.append_entry()


def defaults_into(form: QuizForm) -> None:
    for moment, parts in DEFAULT_REVIEW.items():
        getattr(form, moment).data = list(parts)


def quiz_into(form: QuizForm, quiz: Quiz) -> None:
    form.title.data = quiz.title
    form.course.data = str(quiz.course_id)
    for name in (
        "pass_mark",
        "attempts_allowed",
        "delay_minutes",
        "time_limit_minutes",
        "grading_method",
        "overdue_handling",
        "grace_minutes",
    ):
        getattr(form, name).data = getattr(quiz, name)
    for moment in DEFAULT_REVIEW:
        getattr(form, moment).data = list((quiz.review or {}).get(moment, []))
    form.fixed.data = [s.question_id for s in quiz.sources if s.kind == "fixed"]
    while len(form.draws):
        form.draws.pop_entry()
    for s in (s for s in quiz.sources if s.kind == "draw"):
        form.draws.append_entry({"bank": str(s.bank_id or ""), "tag": s.tag or "", "count": s.count})
    _pad(form.draws, DRAW_ROWS)
    while len(form.minimums):
        form.minimums.pop_entry()
    for s in (s for s in quiz.sources if s.kind == "minimum"):
        form.minimums.append_entry({"tag": s.tag or "", "count": s.count})
    _pad(form.minimums, MINIMUM_ROWS)
    while len(form.bands):
        form.bands.pop_entry()
    for band in quiz.feedback_bands or []:
        form.bands.append_entry({"min": band.get("min"), "text": band.get("text", "")})
    _pad(form.bands, BAND_ROWS)


def spec_from_form(form: QuizForm) -> QuizSpec:
    """The form's content as a spec; blank rows are ignored, half-filled ones are reported by validate_spec."""
    problems: list[str] = []
    draws: list[DrawSpec] = []
    for n, entry in enumerate(form.draws, start=1):
        bank, tag, count = entry.form.bank.data, entry.form.tag.data or None, entry.form.count.data
        if not bank and not tag and count is None:
            continue
        bank_id = parse_id(bank)
        if bank_id is None:
            problems.append(f"Draw {n}: choose the bank to draw from.")
        elif count is None:
            problems.append(f"Draw {n}: say how many questions to draw.")
        else:
            draws.append(DrawSpec(bank_id, tag, int(count)))
    minimums: dict[str, int] = {}
    for n, entry in enumerate(form.minimums, start=1):
        tag, count = entry.form.tag.data, entry.form.count.data
        if not tag and count is None:
            continue
        if not tag or count is None:
            problems.append(f"Minimum {n}: give both the tag and how many questions.")
        elif tag in minimums:
            problems.append(f"Minimum {n}: the tag “{tag}” already has a minimum.")
        else:
            minimums[tag] = int(count)
    bands: list[dict[str, Any]] = []
    for n, entry in enumerate(form.bands, start=1):
        low, text = entry.form.min.data, entry.form.text.data
        if low is None and not text:
            continue
        if low is None or not text:
            problems.append(f"Feedback band {n}: give both the lowest score and the feedback text.")
        else:
            bands.append({"min": int(low), "text": text})
    if problems:
        raise Invalid("\n".join(problems))
    course = form.course.data
    return QuizSpec(
        title=form.title.data or "",
        course_id=parse_id(course),
        fixed=list(dict.fromkeys(int(q) for q in form.fixed.data or [])),
        draws=draws,
        minimums=minimums,
        pass_mark=int(form.pass_mark.data or 0),
        attempts_allowed=form.attempts_allowed.data,
        delay_minutes=int(form.delay_minutes.data or 0),
        time_limit_minutes=form.time_limit_minutes.data,
        grading_method=form.grading_method.data or "highest",
        overdue_handling=form.overdue_handling.data or "autosubmit",
        grace_minutes=int(form.grace_minutes.data or 0),
        review={m: [p for p in (getattr(form, m).data or []) if p in REVIEW_PARTS] for m in DEFAULT_REVIEW},
        bands=bands,
    )
