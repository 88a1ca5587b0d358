"""Admin pages for accounts: list users and change their roles."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from edu.db import session
from edu.errors import Invalid
from edu.service_call import service_call

from . import services
from .forms import RolesForm
from .models import Role, User
from .permissions import role_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/users")
@role_required(Role.ADMIN)
def users() -> str:
    query = request.args.get("q", "")[:100]
    found = services.list_users(current_user, query)
    forms = {}
    for user in found:
        form = RolesForm(prefix=f"u{user.id}")
        form.roles.data = sorted(user.role_names - {Role.LEARNER.value})
        forms[user.id] = form
    return render_template("admin/users.html", users=found, forms=forms, query=query)


@bp.post("/users/<int:user_id>/roles")
@role_required(Role.ADMIN)
def set_roles(user_id: int) -> Response | tuple[str, int]:
    user = session.get(User, user_id)
    if user is None:
        abort(404)
    form = RolesForm(prefix=f"u{user.id}")
    if not form.validate_on_submit():
        flash("Those roles could not be saved: " + "; ".join(e for errors in form.errors.values() for e in errors), "error")
        return redirect(url_for("admin.users"))
    with service_call(flash_as="error", catching=Invalid) as call:
        services.set_roles(current_user, user, form.roles.data or [])
    if call.failed:
        return redirect(url_for("admin.users"))
    flash(f"Roles of {user.email} saved.", "success")
    return redirect(url_for("admin.users"))
