"""Logging in to the web desk: Flask-Login sessions, roles, CSRF, throttling.

Every UI view is behind ``role_required``: agents work tickets, managers also see reports
and edit outages, admins also manage users, tokens and the quarantine. Forms carry a CSRF
token (Flask-WTF); the webhooks and the token-authenticated REST API are exempt, they
never rely on a browser's cookies.

A session ends on the server, not only in the browser: the signed cookie carries the
user's ``session_generation`` at login, the login time and the last use, and every
request checks them against the database and the clock (``_session_is_live``). Logout,
a password change, deactivation and unlock bump the generation, so a copied cookie dies
with them; an idle session ends after ``TRIAGE_SESSION_IDLE_MINUTES`` and any session
``TRIAGE_SESSION_MAX_HOURS`` after its login. Logging in starts a fresh session, with a
fresh CSRF token: a token (or session) planted before the login is worth nothing after.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from triage.store import users
from web.desk import desk

if TYPE_CHECKING:  # the row users.user_by_id and users.authenticate return
    from triage.store.models import User

F = TypeVar("F", bound=Callable[..., Any])
bp = Blueprint("auth", __name__)
csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Logg inn for å fortsette.")


class DeskUser(UserMixin):  # type: ignore[misc]
    """The logged-in user as the views see it (a detached copy, not a session object)."""

    def __init__(self, user: User) -> None:
        self.id = user.id
        self.username = user.username
        self.name = user.name
        self.role = user.role
        self.locale = user.locale

    def get_id(self) -> str:
        return str(self.id)

    def may(self, role: str) -> bool:
        return users.may(self.role, role)


#: Keys of the login session: generation, login time and last use (epoch seconds).
GENERATION, LOGIN_AT, SEEN_AT = "_gen", "_login_at", "_seen_at"
#: The last use is written back at most this often (each write re-sends the cookie).
SEEN_EVERY = 60


@login_manager.user_loader
def _load(user_id: str) -> DeskUser | None:
    if not user_id.isdigit() or len(user_id) > 18:
        return None
    app = desk()
    with app.sessions() as db:
        user = users.user_by_id(db, int(user_id))
        if user is None or not user.active or not _session_is_live(user, app.clock().timestamp()):
            session.clear()  # an ended session is not half-kept
            return None
        return DeskUser(user)


def _session_is_live(user: User, now: float) -> bool:
    """The session's generation is the user's, and it is neither idle nor too old."""
    settings = desk().settings
    login_at, seen_at = session.get(LOGIN_AT), session.get(SEEN_AT)
    if session.get(GENERATION) != user.session_generation:
        return False
    if not isinstance(login_at, int | float) or not isinstance(seen_at, int | float):
        return False
    if now - login_at > settings.session_max_hours * 3600:
        return False  # (a clock stepped back makes a session younger, not invalid)
    if now - seen_at > settings.session_idle_minutes * 60:
        return False
    if now - seen_at >= SEEN_EVERY:
        session[SEEN_AT] = now
    return True


def _start_session(user: User, now: float) -> None:
    """A fresh session for ``user``: whatever the browser held before (a CSRF token, a
    planted session) is dropped, so the CSRF token is new too."""
    session.clear()
    g.pop("csrf_token", None)  # Flask-WTF's per-request cache of the old token
    login_user(DeskUser(user))
    session[GENERATION] = user.session_generation
    session[LOGIN_AT] = session[SEEN_AT] = now


def role_required(role: str) -> Callable[[F], F]:
    """Log in first (redirect), then the role: below it is 403."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.may(role):
                abort(403)
            return view(*args, **kwargs)

        wrapper.required_role = role  # type: ignore[attr-defined]  # read by the route audit
        return cast(F, wrapper)

    return decorate


class LoginForm(FlaskForm):  # type: ignore[misc]
    username = StringField(_l("Brukernavn"), validators=[DataRequired(), Length(max=100)])
    password = PasswordField(_l("Passord"), validators=[DataRequired(), Length(max=200)])


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    form = LoginForm()
    status = 200 if request.method in ("GET", "HEAD") else 400
    if form.validate_on_submit():
        app = desk()
        now = app.clock()
        with app.sessions() as db:
            result = users.authenticate(
                db, form.username.data, form.password.data, now, request.remote_addr or "-"
            )
            if result.user is not None:
                _start_session(result.user, now.timestamp())
                return redirect(own_path(request.args.get("next", "")) or url_for("ui.queue"))
        if result.reason == "throttled":
            flash(
                _l(
                    "For mange mislykkede forsøk herfra. Prøv igjen om %(seconds)s s.",
                    seconds=result.retry_after,
                ),
                "error",
            )
            status = 429
        else:
            flash(_l("Feil brukernavn eller passord."), "error")
            status = 401
    headers = {"Retry-After": str(result.retry_after)} if status == 429 else {}
    return render_template("login.html", form=form), status, headers


def own_path(target: str) -> str | None:
    """``target`` if it is a path on this site, else None: no other host, however spelt.

    Browsers drop tabs and line breaks from URLs and read a backslash as "/", so "/", tab,
    "/evil" and "/", backslash, "evil" are "//evil" to them: another host. Control
    characters and backslashes are refused outright.
    """
    if not target.startswith("/") or "\\" in target or not target.isprintable():
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return None
    return target


@bp.post("/logout")
def logout() -> Response:
    """End the session on the server too: every copy of the cookie stops working."""
    if current_user.is_authenticated:
        with desk().sessions() as db:
            users.log_out_everywhere(db, int(current_user.id))
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


def secret_key(configured: str | None, data_dir: Path) -> str:
    """``SECRET_KEY``, or one made once and kept in the data dir (the embedded default):
    every gunicorn worker must sign sessions with the same key."""
    if configured:
        return configured
    path = data_dir / "secret_key"
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # made earlier, or by the other gunicorn worker just now
        for _ in range(50):
            key = path.read_text(encoding="ascii").strip()
            if key:
                return key
            time.sleep(0.01)
        raise RuntimeError(f"{path} is empty: delete it or set SECRET_KEY") from None
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key)
    return key


def init_auth(app: Flask, secure_cookies: bool) -> None:
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure_cookies,
        REMEMBER_COOKIE_SECURE=secure_cookies,
        REMEMBER_COOKIE_HTTPONLY=True,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
    )
    csrf.init_app(app)
    login_manager.init_app(app)
    app.register_blueprint(bp)
