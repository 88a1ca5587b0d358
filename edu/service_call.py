"""One service call in a view, inside the request's one transaction: `with service_call(form.email) as call:`.

Every page that changes data does the same four things around its service: commit when the service succeeds;
when it refuses with a `DomainError` (a rule the user ran into: a taken name, a wrong password, no attempts
left), roll the transaction back so nothing half-done is kept, and tell the user why, on the form field the
message is about or as a flash message; then re-render the page with the error's status (`DomainError.status`)
or redirect. Written out by hand, that was a try/except/else in about twenty views, each a chance to forget the
rollback or commit twice. Here it is once:

    with service_call(form.email) as call:
        invitation = consent.invite(current_user, clinic, form.email.data or "")
    if call.failed:
        return _staff_page(clinic, invite_form=form), call.status
    flash(f"Invitation sent to {invitation.link.invited_email}.", "success")
    return redirect(url_for("clinics.staff", slug=clinic.slug))

Everything in the block is one transaction and the block's end is its only commit, so a view that must do more
before committing (start a login session, queue a mail) does it inside the block. An error the view does not name
in `catching` is not the page's to explain (a 404 for an object the user may not see): it leaves the block, and
the application's error handler rolls back and renders the error page, as for any other view.

CSRF is not checked here, nor re-checked in views: Flask-WTF's CSRFProtect refuses every POST without a valid
token before any view runs (tests/functional/test_csrf_everywhere.py proves it for every route). A form-backed
page renders its form's own token (`{{ form.csrf_token }}`); a button-only form, or one written by hand, renders
it with the `csrf_field()` macro of templates/_macros/forms.html, and its view needs no FlaskForm at all. GET forms
(filters, the verification look-up) set `csrf = False` in their Meta: they change nothing and their address can be
bookmarked.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import flash
from wtforms import Field

from edu.db import session
from edu.errors import DomainError


@dataclass
class ServiceCall:
    """How the block went: `failed`, and if so the error, its `message` and its HTTP `status`."""

    error: DomainError | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None

    @property
    def message(self) -> str:
        return self.error.message if self.error is not None else ""

    @property
    def status(self) -> int:
        return self.error.status if self.error is not None else 200


@contextmanager
def service_call(
    field: Field | None = None,
    *,
    flash_as: str | None = None,
    catching: type[DomainError] | tuple[type[DomainError], ...] = DomainError,
) -> Iterator[ServiceCall]:
    """Commit when the block succeeds; on an error of `catching`, roll back, put its message on `field` and/or
    flash it in the category `flash_as`, and carry on after the block with `call.failed` set. With neither, the
    view shows the message itself (`call.message`)."""
    call = ServiceCall()
    try:
        yield call
    except catching as error:
        session.rollback()
        call.error = error
        if field is not None:
            field.errors = [*field.errors, error.message]
        if flash_as is not None:
            flash(error.message, flash_as)
    else:
        session.commit()
