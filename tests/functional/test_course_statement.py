"""A course's statement of what its certificate does not attest reaches the course page, the certificate and the
public verification page, as it stood when the certificate was issued; the CE-hour basis shows beside the hours."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

from sqlalchemy import select

from edu.catalog.models import Course
from edu.certificates import issuance
from edu.certificates.models import Certificate
from edu.db import session
from tests.certificate_helpers import enrolled, pass_everything, user
from tests.conftest import MINI_COURSE, sync_folder

STATEMENT = "This didactic course does not by itself meet any licensing board's dry needling training requirement."


def _course_with_statement(tmp_path, app):
    folder = tmp_path / "mini"
    shutil.copytree(MINI_COURSE, folder)
    text = (folder / "course.yaml").read_text()
    (folder / "course.yaml").write_text(text + f'certificate: {{statement: "{STATEMENT}"}}\n')
    sync_folder(app, folder)


def test_the_statement_shows_on_the_course_page_and_the_hours_show_their_basis(tmp_path, app, client):
    _course_with_statement(tmp_path, app)
    page = client.get("/courses/mini").get_data(as_text=True)
    assert STATEMENT.replace("'", "&#39;") in page
    assert "plus about" in page and "to take each quiz and the final exam once" in page


def test_the_certificate_keeps_the_statement_it_was_issued_with(tmp_path, app, make_user, client):
    _course_with_statement(tmp_path, app)
    learner_id = enrolled(app, make_user)
    with app.app_context():
        learner = user()
        at = datetime.now(UTC)
        pass_everything(learner_id, at)
        course = session.scalar(select(Course).where(Course.slug == "mini"))
        issuance.issue_if_complete(learner, course, now=at)
        session.commit()
        issued = session.scalar(select(Certificate))
        assert issued.statement == STATEMENT
        code = issued.code
    page = client.get(f"/verify/{code}").get_data(as_text=True)
    assert "What this certificate does not attest" in page and STATEMENT.replace("'", "&#39;") in page
