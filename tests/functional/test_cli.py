"""The command line: course check and sync, account commands."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import func, select

from edu.auth.models import User
from edu.catalog.models import CourseVersion
from edu.db import session
from tests.conftest import MINI_COURSE, login

REPO = Path(__file__).resolve().parents[2]


def test_courses_check_passes_on_the_shipped_tree(app):
    result = app.test_cli_runner().invoke(args=["courses", "check", str(REPO / "courses")])
    assert result.exit_code == 0, result.output
    assert "1 course(s) checked: no problems." in result.output


def test_courses_check_reports_every_problem_as_file_line(app, tmp_path):
    broken = tmp_path / "mini"
    shutil.copytree(MINI_COURSE, broken)
    module = broken / "modules/basics/module.yaml"
    module.write_text(module.read_text().replace("summary:", "sumary: x\nsummary:"))
    glossary = broken / "glossary.yaml"
    glossary.write_text(glossary.read_text().replace("references: [ref-one]", "references: [ref-two]"))
    result = app.test_cli_runner().invoke(args=["courses", "check", str(broken)])
    assert result.exit_code != 0
    assert f"{broken}/modules/basics/module.yaml:3: unknown key 'sumary'" in result.output
    assert f"{broken}/glossary.yaml:4: unknown reference 'ref-two'" in result.output
    assert "2 problem(s) in 1 course(s)." in result.output


def test_courses_check_fails_on_an_item_writing_cue_until_it_is_fixed_or_waived(app, tmp_path):
    cued = tmp_path / "mini"
    shutil.copytree(MINI_COURSE, cued)
    bank = cued / "modules/basics/questions.yaml"
    text = bank.read_text()
    bank.write_text(
        text.replace("{id: a, text: Right, correct: true}", "{id: a, text: Right in every way that matters here, correct: true}")
    )
    result = app.test_cli_runner().invoke(args=["courses", "check", str(cued)])
    assert result.exit_code != 0
    assert f"{cued}/modules/basics/questions.yaml:7: warning: key-longest: the key is the longest option" in result.output
    assert "basics: 5 items" in result.output and "cue-only guesser" in result.output
    waived = text.replace(
        "{id: a, text: Right, correct: true}", "{id: a, text: Right in every way that matters here, correct: true}"
    )
    waived = waived.replace(
        "    references: [ref-one]\n",
        "    references: [ref-one]\n    waive: {key-longest: The only accurate wording is the longer one.}\n",
        1,
    )
    bank.write_text(waived)
    result = app.test_cli_runner().invoke(args=["courses", "check", str(cued)])
    assert result.exit_code == 0, result.output
    assert "waived key-longest: The only accurate wording is the longer one." in result.output


def test_courses_sync_is_idempotent_and_refuses_broken_content(app, tmp_path):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["courses", "sync", str(MINI_COURSE)])
    assert first.exit_code == 0, first.output
    assert "mini: created (version 1.0); questions: 5 new, 5 new versions, 0 retired" in first.output
    assert "Syncing courses" in first.output
    again = runner.invoke(args=["courses", "sync", str(MINI_COURSE)])
    assert "mini: unchanged" in again.output
    broken = tmp_path / "mini"
    shutil.copytree(MINI_COURSE, broken)
    (broken / "course.yaml").write_text((broken / "course.yaml").read_text().replace("ce_hours: 0.5", "ce_hours: lots"))
    failed = runner.invoke(args=["courses", "sync", str(broken)])
    assert failed.exit_code != 0 and "nothing was synced" in failed.output
    with app.app_context():
        assert session.scalar(select(func.count()).select_from(CourseVersion)) == 1


def test_users_create_grant_and_demo(app):
    runner = app.test_cli_runner()
    created = runner.invoke(args=["users", "create", "Head@Example.com", "--role", "instructor", "--generate-password"])
    assert created.exit_code == 0, created.output
    assert "Created head@example.com with roles: instructor, learner" in created.output
    password = created.output.split("Password (shown once): ")[1].strip()
    assert login(app.test_client(), "head@example.com", password).status_code == 302
    granted = runner.invoke(args=["users", "grant", "head@example.com", "admin"])
    assert "now has admin" in granted.output
    assert "already has admin" in runner.invoke(args=["users", "grant", "head@example.com", "admin"]).output
    bad_role = runner.invoke(args=["users", "grant", "head@example.com", "wizard"])
    assert bad_role.exit_code != 0 and "Unknown role 'wizard'" in bad_role.output
    missing = runner.invoke(args=["users", "grant", "ghost@example.com", "admin"])
    assert missing.exit_code != 0 and "No account with email ghost@example.com." in missing.output
    duplicate = runner.invoke(args=["users", "create", "head@example.com", "--generate-password"])
    assert duplicate.exit_code != 0 and "already exists" in duplicate.output

    demo = runner.invoke(args=["users", "demo"])
    assert demo.exit_code == 0
    lines = [line.split() for line in demo.output.splitlines() if "@example.com" in line and len(line.split()) == 3]
    assert {row[0] for row in lines} == {"learner", "instructor", "clinic_admin", "admin"}
    for _role, email, password in lines:
        assert login(app.test_client(), email, password).status_code == 302
    rerun = runner.invoke(args=["users", "demo"])
    assert "exists already" in rerun.output and "Demo accounts" not in rerun.output
    with app.app_context():
        assert session.scalar(select(func.count()).select_from(User)) == 5
