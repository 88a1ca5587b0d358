"""Command-line groups: `flask courses …` and `flask users …` (the same services the views use)."""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path
from typing import TextIO

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from edu.db import session


def register(app: Flask) -> None:
    app.cli.add_command(courses)
    app.cli.add_command(users)
    app.cli.add_command(quizzes)
    app.cli.add_command(questions)
    app.cli.add_command(certificates)
    app.cli.add_command(clinics)
    app.cli.add_command(mail)
    from .backups import backup

    app.cli.add_command(backup)


courses = AppGroup("courses", help="Check and sync the course files in courses/.")


@courses.command("check", help="Validate course files; print every problem as file:line: message.")
@click.argument("path", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
def courses_check(path: Path | None) -> None:
    from edu.content import load_course
    from edu.content.checking import failures, notes
    from edu.content.discovery import course_dirs

    target = path or Path(current_app.config["COURSES_DIR"])
    problems = 0
    folders = course_dirs(target)
    for folder in folders:
        result = load_course(folder)
        for line in notes(result):
            click.echo(line)
        failed = failures(result)
        for line in failed:
            click.echo(line, err=True)
        problems += len(failed)
    if problems:
        raise click.ClickException(f"{problems} problem(s) in {len(folders)} course(s).")
    click.echo(f"{len(folders)} course(s) checked: no problems.")


@courses.command("sync", help="Load checked course files into the database (idempotent).")
@click.argument("path", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
def courses_sync(path: Path | None) -> None:
    from edu.banks.sync import sync_banks
    from edu.catalog.sync import sync_course
    from edu.content import load_course
    from edu.content.discovery import course_dirs
    from edu.quizzes.sync import sync_quizzes

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
            sync_quizzes(synced.course, content)
            summaries.append(
                f"{content.id}: {synced.status} (version {synced.version.version}); questions: "
                f"{banks.new_questions} new, {banks.new_versions} new versions, {banks.retired} retired"
            )
    session.commit()
    for line in summaries:
        click.echo(line)


@courses.command("instructors", help="List a course's instructors; --add and --remove assign and unassign them.")
@click.argument("slug")
@click.option("--add", "added", multiple=True, metavar="EMAIL", help="Assign this instructor to the course; repeatable.")
@click.option("--remove", "removed", multiple=True, metavar="EMAIL", help="Take this instructor off the course; repeatable.")
def courses_instructors(slug: str, added: tuple[str, ...], removed: tuple[str, ...]) -> None:
    from edu.auth.services import find_user
    from edu.catalog import instructors
    from edu.errors import DomainError

    lines = []
    try:
        course = instructors.get_course(None, slug)
        for email in removed:
            user = find_user(email)
            if user is None:
                raise click.ClickException(f"No account has the email {email}.")
            done = instructors.unassign(None, course, user)
            lines.append(f"{user.email} removed." if done else f"{user.email} was not assigned.")
        for email in added:
            user, done = instructors.assign(None, course, email)
            lines.append(f"{user.email} assigned." if done else f"{user.email} was already assigned.")
    except DomainError as exc:
        session.rollback()
        raise click.ClickException(exc.message) from None
    except click.ClickException:
        session.rollback()
        raise
    session.commit()
    for line in lines:
        click.echo(line)
    teaching = instructors.instructors_of(course)
    if teaching:
        click.echo(f"Instructors of {course.slug}: " + ", ".join(f"{u.name} <{u.email}>" for u in teaching))
    else:
        click.echo(f"{course.slug} has no instructor: only administrators act on its outcomes.")


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
        # The administrator running the command vouches for the address: no confirmation link is sent.
        user = services.register(name=name or email.split("@")[0], email=email, password=password or "", verified=True)
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


@users.command(
    "demo",
    help="Create one demo account per role (passwords are generated and printed once); the demo instructor teaches "
    "every synced course.",
)
def users_demo() -> None:
    from edu.auth import services
    from edu.catalog import instructors
    from edu.errors import Invalid

    created = []
    for email, name, role in DEMO_ACCOUNTS:
        if services.find_user(email) is not None:
            click.echo(f"{email} exists already (its password was printed when it was created).")
            continue
        password = secrets.token_urlsafe(12)
        user = services.register(name=name, email=email, password=password, verified=True)
        if role:
            services.grant_role(user, role)
        created.append((email, role or "learner", password))
    demo_instructor = next(email for email, _name, role in DEMO_ACCOUNTS if role == "instructor")
    for entry in instructors.course_staff(None):
        try:
            if instructors.assign(None, entry.course, demo_instructor)[1]:
                click.echo(f"{demo_instructor} now teaches {entry.course.slug}.")
        except Invalid as exc:  # the demo instructor lost the role since: say so, keep the rest
            click.echo(exc.message, err=True)
    session.commit()
    if created:
        click.echo("Demo accounts (passwords are shown only now; they are not stored anywhere else):")
        for email, role, password in created:
            click.echo(f"  {role:<13} {email:<26} {password}")


questions = AppGroup("questions", help="Import and export question banks (GIFT, Moodle XML, Aiken, YAML).")


@questions.command("import", help="Import a file into an authored bank (created if missing); report problems as FILE:LINE.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--bank", "slug", required=True, help="The authored bank's id; created (titled from the id) if missing.")
@click.option("--format", "fmt", type=click.Choice(["gift", "moodle-xml", "aiken", "yaml"]), help="Default: detect.")
@click.option("--partial", is_flag=True, help="Import the valid questions and skip those with problems.")
@click.option("--title", default=None, help="Title of the bank if it is created (default: from the id).")
@click.option("--owner", default=None, help="Email of the instructor who may edit a created bank in the browser.")
def questions_import(file: Path, slug: str, fmt: str | None, partial: bool, title: str | None, owner: str | None) -> None:
    from edu.auth import services as auth_services
    from edu.banks import import_export
    from edu.banks import services as banks
    from edu.errors import DomainError, NotFound
    from edu.interchange.report import MAX_IMPORT_BYTES, too_large

    size = file.stat().st_size
    if size > MAX_IMPORT_BYTES:
        raise click.ClickException(f"{file}: {too_large(size)}")
    content = file.read_bytes()
    fmt = fmt or import_export.detect_format(file.name, content)
    result = import_export.parse_source(content, fmt)
    for problem in result.problems:
        label = f"{problem.question}: " if problem.question else ""
        click.echo(f"{file}:{problem.line}: {problem.severity}: {label}{problem.message}", err=True)
    if result.errors and not partial:
        raise click.ClickException(
            f"{result.skipped} question(s) cannot be imported; nothing was imported. Fix the file or use --partial."
        )
    if not result.questions:
        raise click.ClickException("The file has no question that can be imported; nothing was imported.")
    try:
        try:
            bank = banks.get_bank(None, slug)
        except NotFound:
            bank = None
        if bank is None:
            owner_user = None
            if owner:
                owner_user = auth_services.find_user(owner)
                if owner_user is None:
                    raise click.ClickException(f"No account with email {owner}.")
            bank = banks.create_bank(owner_user, title or slug.replace("-", " ").capitalize(), slug=slug)
            click.echo(f"Created bank {bank.slug}.")
        with click.progressbar(length=len(result.questions), label="Storing questions", show_pos=True) as bar:
            summary = import_export.import_questions(None, bank, result.questions, stored=lambda _item: bar.update(1))
    except DomainError as exc:
        session.rollback()
        raise click.ClickException(exc.message) from None
    session.commit()
    skipped = f"; {result.skipped} skipped" if result.skipped else ""
    click.echo(f"Imported {len(result.questions)} question(s) into {bank.slug} ({fmt}): {summary}{skipped}.")


@questions.command("export", help="Export a bank's questions in use as GIFT, Moodle XML or YAML.")
@click.argument("slug")
@click.option("--format", "fmt", type=click.Choice(["gift", "moodle-xml", "yaml"]), required=True)
@click.option("--output", type=click.Path(dir_okay=False, writable=True, path_type=Path), default=None, help="Default: stdout.")
def questions_export(slug: str, fmt: str, output: Path | None) -> None:
    from edu.banks import import_export
    from edu.banks import services as banks
    from edu.errors import DomainError

    try:
        bank = banks.get_bank(None, slug)
        exported = import_export.export_bank(None, bank, fmt)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    if output is None:
        click.echo(exported.body.decode("utf-8"), nl=False)
    else:
        output.write_bytes(exported.body)
        click.echo(f"Wrote {exported.count} question(s) from {bank.slug} to {output}.", err=True)


quizzes = AppGroup("quizzes", help="Quiz housekeeping.")


@quizzes.command("close-overdue", help="Grade every attempt whose time ran out (the server owns the clock).")
def quizzes_close_overdue() -> None:
    from edu.quizzes.attempts import close_overdue

    closed = close_overdue()
    session.commit()
    click.echo(f"{closed} overdue attempt{'s' if closed != 1 else ''} graded.")


certificates = AppGroup(
    "certificates", help="Verify credentials, rotate the signing key, re-sign foreign credentials, send expiry reminders."
)


@certificates.command("verify", help="Check a signed credential (VC-JWT) file: signature, expiry and revocation.")
@click.argument("file", type=click.File("r", encoding="utf-8"))
def certificates_verify(file: TextIO) -> None:
    from edu.certificates.credential_status import VERIFICATION_REASONS, verify_token

    result = verify_token(file.read(64 * 1024))
    if not result.valid:
        raise click.ClickException(f"invalid: {result.reason}: {VERIFICATION_REASONS.get(result.reason, '')}")
    subject = (result.credential or {}).get("credentialSubject", {})
    click.echo(f"valid: {subject.get('name')}, {subject.get('achievement', {}).get('name')} (key {result.kid})")


@certificates.command("rotate-key", help="Make a new key the signing key; older credentials keep verifying.")
def certificates_rotate_key() -> None:
    from edu.certificates.signing import keys_dir, rotate_key

    kid = rotate_key()
    click.echo(f"New signing key {kid} in {keys_dir()}; the previous keys stay published in the JWK Set.")


@certificates.command(
    "resign-foreign", help="Sign again, at PUBLIC_URL, the credentials that name another address (issued from a Host header)."
)
@click.option("--dry-run", is_flag=True, help="Only list them; exit non-zero when there are any.")
def certificates_resign_foreign(dry_run: bool) -> None:
    from edu.certificates import credential_status
    from edu.certificates.signing import base_url

    found = credential_status.foreign_credentials()
    session.rollback()  # end the read before writing, one certificate at a time
    for item in found:
        click.echo(f"{item.code}: its credential names {', '.join(item.origins)}")
    if dry_run:
        if found:
            raise click.ClickException(
                f"{len(found)} credential(s) name an address other than {base_url()}; run without --dry-run to sign them again."
            )
        click.echo(f"Every credential names {base_url()}.")
        return
    signed = 0
    with click.progressbar(found, label="Signing again", show_pos=True) as bar:
        for item in bar:
            if credential_status.resign_foreign(item.certificate_id):
                session.commit()
                signed += 1
            else:
                session.rollback()
    click.echo(
        f"{signed} credential{'s' if signed != 1 else ''} signed again at {base_url()} "
        "(same certificates, codes and revocation state; the replaced tokens are kept in each certificate's history)."
    )


@certificates.command("remind", help="Email learners whose certificates expire soon (safe to run daily from cron).")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="Run as if today were this date (UTC).")
def certificates_remind(today: datetime | None) -> None:
    from edu.certificates import reminders
    from edu.certificates.views import renew_url
    from edu.db import utcnow
    from edu.errors import Invalid

    day = today.date() if today else utcnow().date()
    try:
        leads = reminders.parse_lead_days(current_app.config["REMINDER_LEAD_DAYS"])
    except Invalid as exc:
        raise click.ClickException(exc.message) from exc
    due = reminders.due_reminders(day, leads)
    sent = skipped = 0
    with click.progressbar(due, label="Sending reminders", show_pos=True) as bar:
        for reminder in bar:
            if reminders.send_reminder(reminder, renew_url(reminder.certificate.course_key)):
                session.commit()  # one at a time: each reminder's mail leaves as its own commit succeeds
                sent += 1
            else:
                session.rollback()
                skipped += 1
    click.echo(f"{day.isoformat()}: {sent} reminder{'s' if sent != 1 else ''} sent, {skipped} already sent by another run.")


clinics = AppGroup("clinics", help="Clinic housekeeping: the daily digest of upcoming certificate expiries.")


@clinics.command("digest", help="Email each clinic's administrators the staff certificates expiring soon (once a day).")
@click.option("--days", default=60, show_default=True, type=click.IntRange(1, 730), help="The window, in days.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="Run as if today were this date (UTC).")
def clinics_digest(days: int, today: datetime | None) -> None:
    from edu import public_urls
    from edu.clinics import digests
    from edu.db import utcnow

    day = today.date() if today else utcnow().date()
    due = digests.due_digests(day, days)
    sent = skipped = 0
    with click.progressbar(due, label="Sending clinic digests", show_pos=True) as bar:
        for digest in bar:
            link = public_urls.external("clinics.roster", slug=digest.clinic.slug, days=days, sort="expiry")
            if digests.send_digest(digest, day, days, link):
                session.commit()  # one clinic at a time: its digest leaves as its own commit succeeds
                sent += 1
            else:
                session.rollback()
                skipped += 1
    click.echo(f"{day.isoformat()}: {sent} clinic digest{'s' if sent != 1 else ''} sent, {skipped} already sent by another run.")


mail = AppGroup("mail", help="The outbox: mail is queued with the work that sends it and leaves after the commit.")


@mail.command("deliver", help="Send queued mail whose delivery failed or never happened (safe to run from cron).")
def mail_deliver() -> None:
    from edu.mail import delivery
    from edu.mail.models import FAILED, QUEUED, SENT

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    due = delivery.due(app)
    outcomes: dict[str | None, int] = {SENT: 0, QUEUED: 0, FAILED: 0, None: 0}
    with click.progressbar(due, label="Delivering mail", show_pos=True) as bar:
        for message_id in bar:
            [outcome] = delivery.deliver(app, [message_id])
            outcomes[outcome] += 1
    limit = app.config["MAIL_MAX_ATTEMPTS"]
    click.echo(
        f"{outcomes[SENT]} sent, {outcomes[QUEUED]} still queued (to try again later), "
        f"{outcomes[FAILED]} failed after {limit} attempts, {outcomes[None]} taken by another delivery."
    )
    if outcomes[FAILED]:
        raise click.ClickException(f"{outcomes[FAILED]} message(s) given up: see the admin outbox page for the errors.")
