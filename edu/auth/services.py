"""Account rules: registration, email verification, authentication, login sessions, password changes and resets,
roles.

Services take the acting user where a rule depends on who acts, flush but never commit, and never
touch the request: the views own the transaction and the cookies.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from edu.db import session, utcnow
from edu.errors import Conflict, Forbidden, Invalid, NotFound

from . import passwords, tokens
from .emails import UnusableEmail, usable_email
from .models import EmailVerificationToken, LoginSession, PasswordResetToken, Profession, Role, User, UserRole


def normalise_email(email: str) -> str:
    """The stored form of an address: the one email rule's, or (for an address it refuses) trimmed and lowercased."""
    try:
        return usable_email(email)
    except UnusableEmail:
        return email.strip().lower()


def find_user(email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def register(
    *,
    name: str,
    email: str,
    password: str,
    profession: str = Profession.PT.value,
    licence_number: str | None = None,
    jurisdiction: str | None = None,
    verified: bool = False,
) -> User:
    """A new account. Its address is unverified until its owner opens a confirmation link, unless `verified`: an
    administrator creating the account (the CLI) vouches for the address."""
    try:
        email = usable_email(email)
    except UnusableEmail as exc:
        raise Invalid(str(exc)) from None
    if find_user(email) is not None:
        raise Conflict("An account with this email already exists. Log in, or reset your password.")
    _check_password(password)
    if profession not in {p.value for p in Profession}:
        raise Invalid("Unknown profession.")
    user = User(
        name=name.strip(),
        email=email,
        password_hash=passwords.hash_password(password),
        profession=profession,
        licence_number=(licence_number or "").strip() or None,
        jurisdiction=(jurisdiction or "").strip() or None,
        email_verified_at=utcnow() if verified else None,
    )
    session.add(user)
    session.flush()
    return user


def _check_password(password: str) -> None:
    if len(password) < passwords.MIN_LENGTH:
        raise Invalid(f"Use at least {passwords.MIN_LENGTH} characters for your password.")
    if len(password) > passwords.MAX_LENGTH:
        raise Invalid(f"Use at most {passwords.MAX_LENGTH} characters for your password.")


def authenticate(email: str, password: str) -> User | None:
    """The user for these credentials, or None; costs one Argon2 verification either way."""
    user = find_user(email)
    if not passwords.verify_password(user.password_hash if user else None, password):
        return None
    assert user is not None
    if not user.is_active:
        return None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    return user


# --- login sessions ------------------------------------------------------------------------------


def start_session(user: User, *, remember: bool, lifetime: timedelta, user_agent: str | None = None) -> str:
    raw, hashed = tokens.new_token()
    session.add(
        LoginSession(
            user_id=user.id,
            token_hash=hashed,
            remember=remember,
            expires_at=utcnow() + lifetime,
            user_agent=(user_agent or "")[:200] or None,
        )
    )
    session.flush()
    user.session_token = raw
    return raw


def load_session(raw: str) -> User | None:
    row = session.execute(
        select(LoginSession, User)
        .join(User, User.id == LoginSession.user_id)
        .where(LoginSession.token_hash == tokens.digest(raw))
    ).first()
    if row is None:
        return None
    login, user = row
    if login.expires_at <= utcnow() or not user.is_active:
        return None
    user.session_token = raw
    return user


def end_session(raw: str | None) -> None:
    if raw:
        session.execute(delete(LoginSession).where(LoginSession.token_hash == tokens.digest(raw)))


def end_all_sessions(user: User) -> None:
    session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))


@dataclass(frozen=True)
class ActiveSession:
    started: datetime
    expires: datetime
    device: str
    remember: bool
    current: bool


def active_sessions(user: User, current_raw: str | None) -> list[ActiveSession]:
    """Where the user is logged in now (newest first), the session of this request marked."""
    mine = tokens.digest(current_raw) if current_raw else None
    rows = session.scalars(
        select(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.expires_at > utcnow())
        .order_by(LoginSession.created_at.desc(), LoginSession.id.desc())
    )
    return [
        ActiveSession(r.created_at, r.expires_at, r.user_agent or "Unknown device", r.remember, r.token_hash == mine)
        for r in rows
    ]


def purge_expired_sessions(now: datetime | None = None) -> int:
    result = session.execute(delete(LoginSession).where(LoginSession.expires_at <= (now or utcnow())))
    return int(getattr(result, "rowcount", 0) or 0)


# --- passwords -----------------------------------------------------------------------------------


def change_password(user: User, current: str, new: str) -> None:
    """Set a new password and end every session of the user (the view starts a fresh one)."""
    if not passwords.verify_password(user.password_hash, current):
        raise Invalid("Your current password is not correct.")
    _set_password(user, new)


def _set_password(user: User, new: str) -> None:
    _check_password(new)
    user.password_hash = passwords.hash_password(new)
    user.password_changed_at = utcnow()
    end_all_sessions(user)


def request_password_reset(email: str, lifetime: timedelta) -> tuple[User, str] | None:
    """A fresh single-use token for the account, or None when there is no such active account."""
    user = find_user(email)
    if user is None or not user.is_active:
        return None
    raw, hashed = tokens.new_token()
    session.add(PasswordResetToken(user_id=user.id, token_hash=hashed, expires_at=utcnow() + lifetime))
    session.flush()
    return user, raw


def _usable_reset(raw: str) -> PasswordResetToken | None:
    token = session.scalar(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == tokens.digest(raw)).with_for_update()
    )
    if token is None or token.used_at is not None or token.expires_at <= utcnow():
        return None
    return token


def reset_token_is_valid(raw: str) -> bool:
    return _usable_reset(raw) is not None


def reset_password(raw: str, new: str) -> User:
    token = _usable_reset(raw)
    if token is None:
        raise Invalid("This reset link is invalid or has expired. Ask for a new one.")
    user = session.get(User, token.user_id)
    if user is None:
        raise NotFound()
    _set_password(user, new)
    now = utcnow()
    # Using one link spends every outstanding link for the account.
    for other in session.scalars(
        select(PasswordResetToken).where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
    ):
        other.used_at = now
    return user


# --- email verification --------------------------------------------------------------------------

BAD_VERIFICATION_LINK = (
    "This confirmation link is not valid: it may have expired, been used already, or been copied incompletely."
)


def request_email_verification(user: User, lifetime: timedelta, *, now: datetime | None = None) -> str | None:
    """A fresh single-use confirmation token for the account's current address, or None when it is confirmed
    already. Earlier links keep working until they expire or one of them is used."""
    if user.email_verified:
        return None
    raw, hashed = tokens.new_token()
    session.add(
        EmailVerificationToken(user_id=user.id, email=user.email, token_hash=hashed, expires_at=(now or utcnow()) + lifetime)
    )
    session.flush()
    return raw


def verify_email(raw: str, *, now: datetime | None = None) -> User:
    """Confirm the address a link was sent to. Using one link spends every outstanding link of the account; a link
    sent to an address the account no longer uses confirms nothing."""
    now = now or utcnow()
    token = session.scalar(
        select(EmailVerificationToken).where(EmailVerificationToken.token_hash == tokens.digest(raw)).with_for_update()
    )
    if token is None or token.used_at is not None or token.expires_at <= now:
        raise Invalid(BAD_VERIFICATION_LINK)
    user = session.get(User, token.user_id)
    if user is None or not user.is_active or user.email != token.email:
        raise Invalid(BAD_VERIFICATION_LINK)
    if user.email_verified_at is None:
        user.email_verified_at = now
    for pending in session.scalars(
        select(EmailVerificationToken).where(EmailVerificationToken.user_id == user.id, EmailVerificationToken.used_at.is_(None))
    ):
        pending.used_at = now
    session.flush()
    return user


# --- profile and roles ---------------------------------------------------------------------------


def update_profile(user: User, *, name: str, profession: str, licence_number: str | None, jurisdiction: str | None) -> None:
    if profession not in {p.value for p in Profession}:
        raise Invalid("Unknown profession.")
    user.name = name.strip()
    user.profession = profession
    user.licence_number = (licence_number or "").strip() or None
    user.jurisdiction = (jurisdiction or "").strip() or None


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise Invalid(f"Unknown role {value!r}; choose one of {', '.join(r.value for r in Role)}.") from None


def grant_role(user: User, role: str) -> bool:
    """Grant a role (True) or report it was already held (False). Learner is every user's base role."""
    wanted = _role(role)
    if wanted is Role.LEARNER or wanted.value in {r.role for r in user.roles}:
        return False
    user.roles.append(UserRole(role=wanted.value))
    session.flush()
    return True


def set_roles(actor: User, user: User, roles: Iterable[str]) -> None:
    if not actor.has_role(Role.ADMIN):
        raise Forbidden("Only an administrator can change roles.")
    wanted = {_role(r).value for r in roles} - {Role.LEARNER.value}
    if actor.id == user.id and Role.ADMIN.value not in wanted:
        raise Invalid("You cannot remove your own administrator role.")
    user.roles[:] = [r for r in user.roles if r.role in wanted]
    for role in sorted(wanted - {r.role for r in user.roles}):
        user.roles.append(UserRole(role=role))
    session.flush()


def list_users(actor: User, query: str | None = None, limit: int = 200) -> list[User]:
    if not actor.has_role(Role.ADMIN):
        raise Forbidden()
    stmt = select(User).order_by(User.created_at.desc(), User.id.desc()).limit(limit)
    if query:
        like = f"%{query.strip().lower()}%"
        stmt = stmt.where(func.lower(User.email).like(like) | func.lower(User.name).like(like))
    return list(session.scalars(stmt))
