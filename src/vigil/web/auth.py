"""Who is asking, and may they: bearer tokens for the API, a signed session cookie for the browser,
CSRF tokens for every form, and the 401/403 split.

Authentication only says who someone is; whether they may do a thing is decided per release by
``vigil.releases.roles.authorize`` inside the service functions, the same check the CLI goes through.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta

from fastapi import Request

from vigil.access.service import Identity, hash_token, identify, mark_used
from vigil.access.sessions import session_identity
from vigil.errors import PermissionDenied, VigilError
from vigil.web.context import ctx
from vigil.web.freshness import request_version

SESSION_ID = "sid"  # the server-side session (vigil.access.sessions); only its SHA-256 is stored
SESSION_CSRF = "csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
_TOUCH_EVERY = timedelta(minutes=1)
SESSION_HOURS = 12


class AuthRequired(VigilError):
    """No valid credentials: 401 for the API, the login page for the browser."""


class CsrfFailed(PermissionDenied):
    """A state-changing request from a browser session without this session's CSRF token."""


def identity(request: Request) -> Identity | None:
    """The person behind the request, from ``Authorization: Bearer`` or the session cookie (cached)."""
    if hasattr(request.state, "identity"):
        found: Identity | None = request.state.identity
        return found
    found = _resolve(request)
    request.state.identity = found
    if found is not None:
        _touch(request, found.token_id)
    return found


class _Revoked(Exception):
    """The token behind a browser session is gone (never cached: ``get_or_build`` keeps only values)."""


def _resolve(request: Request) -> Identity | None:
    """Who the credentials name. The answer is kept per store version: revoking a token (or anything
    else about people) is an audited change, so a kept answer is dropped by the very next request."""
    context = ctx(request)
    version = request_version(request)
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthRequired("use 'Authorization: Bearer vgl_…' (create one with `vigil user token NAME`)")

        def by_token() -> tuple[Identity, datetime | None]:
            with context.store.read() as session:
                found = identify(session, token.strip())
            if found is None:  # raised, so unknown tokens are not kept: guesses cannot fill the cache
                raise AuthRequired("unknown or revoked API token")
            return found, None

        # Kept under the token's SHA-256, as stored, never the token itself. Looking a digest up tells
        # a guesser nothing about valid tokens (that would take a preimage of the hash).
        found, _ = context.identities.get_or_build(("bearer", hash_token(token.strip()), version), by_token)
        request.state.via_session = False
        return found
    sid = request.session.get(SESSION_ID)
    if not isinstance(sid, str) or not sid:
        if request.session:  # a cookie of an older version (or a forged one): nothing in it counts
            request.session.clear()
        return None

    def by_session() -> tuple[Identity, datetime | None]:
        with context.store.read() as session:
            found = session_identity(session, sid)
        if found is None:
            raise _Revoked
        return found

    try:
        found, expires = context.identities.get_or_build(("session", hash_token(sid), version), by_session)
    except _Revoked:  # signed out, its token revoked, or never started here: the cookie is worth nothing
        request.session.clear()
        return None
    if expires is not None and context.clock.now() >= expires:
        request.session.clear()
        return None
    request.state.via_session = True
    return found


def _touch(request: Request, token_id: int) -> None:
    context = ctx(request)
    now = context.clock.now()
    last = context.token_seen.get(token_id)
    if last is None or now - last >= _TOUCH_EVERY:
        context.token_seen[token_id] = now
        mark_used(context.store, token_id, now)


def reader(request: Request) -> Identity | None:
    """Reads need a token unless the server runs with ``--public-read``."""
    found = identity(request)
    if found is None and not ctx(request).public_read:
        raise AuthRequired("sign in with an API token to read this")
    return found


def writer(request: Request) -> Identity:
    """Writes always need a person; browser sessions must also present their CSRF token."""
    found = identity(request)
    if found is None:
        raise AuthRequired("sign in with an API token to change anything")
    return found


def csrf_token(request: Request) -> str:
    """This session's CSRF token (created on first use), for forms to carry.

    A request authenticated by a bearer token has no session to protect and no use for forms: it gets
    no CSRF token and no session cookie.
    """
    if getattr(request.state, "via_session", True) is False:
        return ""
    token = request.session.get(SESSION_CSRF)
    if not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return str(token)


def check_csrf(request: Request, presented: str | None) -> None:
    """Synchronizer-token check for cookie-authenticated writes (bearer requests are not CSRF-able)."""
    if getattr(request.state, "via_session", True) is False:
        return
    expected = request.session.get(SESSION_CSRF)
    presented = presented or request.headers.get(CSRF_HEADER)
    if not expected or not presented or not hmac.compare_digest(str(expected), presented):
        raise CsrfFailed("the form's security token is missing or stale; reload the page and try again")


def client_address(request: Request) -> str:
    """The client's address as the server sees it (behind a proxy: uvicorn's --proxy-headers)."""
    return request.client.host if request.client else "unknown"


def safe_next(target: str | None) -> str:
    """Only same-site relative paths may be redirected to after signing in."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
