"""Command-line groups: `flask courses …` and `flask users …` (the same services the views use)."""

from __future__ import annotations

import secrets
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from edu.db import session


def register(app: Flask) -> None:
    app.cli.add_command(courses)
    app.cli.add_command(users)


courses = AppGroup("courses", help="Check and sync the course files in courses/.")


@courses.command("check", help="Validate course files; print every problem as file:line: message.")
@click.argument("path", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
def courses_check(path: Path | None) -> None:
    from edu.content import load_course
    from edu.content.discovery import course_dirs

    target = path or Path(current_app.config["COURSES_DIR"])
    problems = 0
    folders = course_dirs(target)
    for folder in folders:
        result = load_course(folder)
        for problem in result.problems:
            click.echo(str(problem), err=True)
        problems += len(result.problems)
    if problems:
        raise click.ClickException(f"{problems} problem(s) in {len(folders)} course(s).")
    click.echo(f"{len(folders)} course(s) checked: no problems.")


@courses.command("sync", help="Load checked course files into the database (idempotent).")
@click.argument("path", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
def courses_sync(path: Path | None) -> None:
    from edu.catalog.sync import sync_course
    from edu.content import load_course
    from edu.content.discovery import course_dirs
    from edu.quizzes.sync import sync_banks

    target = path or Path(current_app.config["COURSES_DIR"])
    folders = course_dirs(target)
    loaded = []
    with click.progressbar(folders, label="Checking courses", show_pos=True) as bar:
        for folder in bar:
            result = load_course(folder)
            if result.problems:
                for problem in result.problems:
                    click.echo(f"\n{problem}", err=True)
                raise click.ClickException(f"{folder} has problems; nothing was synced.")
            assert result.course is not None
            loaded.append(result.course)
    summaries = []
    with click.progressbar(loaded, label="Syncing courses", show_pos=True, item_show_func=lambda c: c.id if c else "") as bar:
        for content in bar:
            synced = sync_course(content)
            banks = sync_banks(synced.course, content)
            summaries.append(
                f"{content.id}: {synced.status} (version {synced.version.version}); questions: "
                f"{banks.new_questions} new, {banks.new_versions} new versions, {banks.retired} retired"
            )
    session.commit()
    for line in summaries:
        click.echo(line)


users = AppGroup("users", help="Manage accounts and roles.")


@users.command("create", help="Create an account (the password is prompted for, or generated and printed once).")
@click.argument("email")
@click.option("--name", default=None, help="Full name (defaults to the part of the email before @).")
@click.option("--role", "roles", multiple=True, help="learner, instructor, clinic_admin or admin; repeatable.")
@click.option("--password", default=None, help="Avoid: it stays in shell history. Omit to be prompted.")
@click.option("--generate-password", is_flag=True, help="Generate a password and print it once.")
def users_create(email: str, name: str | None, roles: tuple[str, ...], password: str | None, generate_password: bool) -> None:
    from edu.auth import services
    from edu.errors import DomainError

    if generate_password:
        password = secrets.token_urlsafe(12)
    elif password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = services.register(name=name or email.split("@")[0], email=email, password=password or "")
        for role in roles:
            services.grant_role(user, role)
    except DomainError as exc:
        session.rollback()
        raise click.ClickException(exc.message) from None
    session.commit()
    click.echo(f"Created {user.email} with roles: {', '.join(sorted(user.role_names))}")
    if generate_password:
        click.echo(f"Password (shown once): {password}")


@users.command("grant", help="Grant a role to an existing account.")
@click.argument("email")
@click.argument("role")
def users_grant(email: str, role: str) -> None:
    from edu.auth import services
    from edu.errors import DomainError

    user = services.find_user(email)
    if user is None:
        raise click.ClickException(f"No account with email {email}.")
    try:
        granted = services.grant_role(user, role)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    session.commit()
    click.echo(f"{user.email} now has {role}." if granted else f"{user.email} already has {role}.")


DEMO_ACCOUNTS = [
    ("learner@example.com", "Demo Learner", None),
    ("instructor@example.com", "Demo Instructor", "instructor"),
    ("clinic@example.com", "Demo Clinic Admin", "clinic_admin"),
    ("admin@example.com", "Demo Admin", "admin"),
]


@users.command("demo", help="Create one demo account per role; passwords are generated and printed once.")
def users_demo() -> None:
    from edu.auth import services

    created = []
    for email, name, role in DEMO_ACCOUNTS:
        if services.find_user(email) is not None:
            click.echo(f"{email} exists already (its password was printed when it was created).")
            continue
        password = secrets.token_urlsafe(12)
        user = services.register(name=name, email=email, password=password)
        if role:
            services.grant_role(user, role)
        created.append((email, role or "learner", password))
    session.commit()
    if created:
        click.echo("Demo accounts (passwords are shown only now; they are not stored anywhere else):")
        for email, role, password in created:
            click.echo(f"  {role:<13} {email:<26} {password}")
