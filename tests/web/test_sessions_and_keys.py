"""Sessions the server can end, a signing key outside the store, private files, failed sign-ins limited
and audited, `Secure` cookies behind HTTPS, and the Host allow-list."""

from __future__ import annotations

import base64
import json
import os
import stat
from datetime import timedelta
from pathlib import Path

import itsdangerous
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from vigil.access.keyfile import key_path, session_key
from vigil.access.models import ApiToken, WebSession
from vigil.access.service import Identity, hash_token, revoke_token
from vigil.access.sessions import start_session
from vigil.clock import ManualClock
from vigil.errors import VigilError
from vigil.evidence.archive import archive
from vigil.store import Store
from vigil.store.audit import AuditEntry
from vigil.web.app import create_app
from vigil.web.signin import MAX_FAILURES, SignInLimiter, TooManyAttempts
from web_fixtures import DEMO, NOW, World, csrf_of, sign_in

ACK = f"/api/v1/releases/{DEMO}/checkpoints/T+2h/acknowledge"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _forged_cookie(secret: str, data: dict[str, object]) -> str:
    """A cookie exactly as Starlette's SessionMiddleware signs one."""
    payload = base64.b64encode(json.dumps(data).encode())
    return itsdangerous.TimestampSigner(secret).sign(payload).decode()


def test_the_key_is_a_0600_file_beside_the_store_and_not_in_it(world: World, client: TestClient) -> None:
    path = key_path(world.store.url)
    assert path.parent == Path(world.store.url.removeprefix("sqlite:///")).parent
    assert _mode(path) == 0o600 and len(session_key(world.store.url)) >= 60
    with world.store.read() as s:
        assert s.execute(text("SELECT count(*) FROM server_secrets")).scalar() == 0
    world.store.dispose()
    database = Path(world.store.url.removeprefix("sqlite:///"))
    key = session_key(world.store.url).encode()
    assert all(key not in p.read_bytes() for p in database.parent.glob(f"{database.name}*") if p != path)


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "key"
    path.write_text("x" * 64)
    path.chmod(0o644)
    with pytest.raises(VigilError, match="chmod 600"):
        session_key("sqlite:///unused.db", str(path))


def test_sessions_forged_from_what_the_database_holds_are_refused(world: World, client: TestClient) -> None:
    # An old store kept the signing key in the database; a key read from there (or any guess) signs nothing.
    stolen = "key-read-from-the-database"
    with world.store.write() as s:
        s.execute(text("INSERT INTO server_secrets (name, value, created_at) VALUES ('session-signing-key', "
                       ":v, '2026-11-25 12:00:00.000000')"), {"v": stolen})
    with world.store.read() as s:
        token_id = s.scalar(select(ApiToken.id).where(ApiToken.token_hash == hash_token(world.owner)))
    real_key = session_key(world.store.url)
    forgeries = [
        _forged_cookie(stolen, {"token_id": token_id}),  # the old cookie format with the stolen key
        _forged_cookie(stolen, {"sid": "anything"}),
        _forged_cookie(real_key, {"token_id": token_id}),  # even the real key cannot name a token
        _forged_cookie(real_key, {"sid": hash_token("x")}),  # nor a session that was never started
    ]
    # The control: a cookie signed the same way, with the key file's key and a session the server
    # started, is accepted. So the refusals below are the server's, not a malformed cookie's.
    sid = start_session(world.store, Identity(0, "Ana Costa", token_id), "testclient", NOW, timedelta(hours=1))
    client.cookies.set("vigil_session", _forged_cookie(real_key, {"sid": sid}))
    assert client.get("/api/v1/me").status_code == 200
    for cookie in forgeries:
        client.cookies.set("vigil_session", cookie)
        assert client.get("/api/v1/me").status_code == 401
        assert client.post(ACK, json={"note": "forged"}).status_code == 401
        assert client.get("/", follow_redirects=False).status_code == 303  # to the sign-in page


def _copied_session(client: TestClient, token: str) -> tuple[dict[str, str], str]:
    csrf = sign_in(client, token)
    assert client.get("/api/v1/me").status_code == 200
    return dict(client.cookies), csrf


def test_a_cookie_copied_before_logout_reads_and_writes_nothing_afterwards(world: World, client: TestClient) -> None:
    copy, csrf = _copied_session(client, world.monitor)
    assert client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    with TestClient(create_app(world.store, clock=world.clock), cookies=copy) as replay:
        assert replay.get("/api/v1/me").status_code == 401
        assert replay.get(f"/api/v1/releases/{DEMO}").status_code == 401
        assert replay.post(ACK, json={"note": "replayed"}, headers={"x-csrf-token": csrf}).status_code == 401
        assert replay.get(f"/releases/{DEMO}", follow_redirects=False).status_code == 303
    with world.store.read() as s:
        ended = s.scalars(select(WebSession)).one()
        actions = [e.action for e in s.scalars(select(AuditEntry).where(AuditEntry.entity == "web_session"))]
    assert ended.ended_why == "logout" and actions == ["session.started", "session.ended"]


def test_revoking_the_token_ends_its_sessions_at_once(world: World, client: TestClient) -> None:
    copy, _ = _copied_session(client, world.viewer)
    with world.store.read() as s:
        token_id = s.scalar(select(ApiToken.id).where(ApiToken.token_hash == hash_token(world.viewer)))
    assert token_id is not None
    revoke_token(world.store, token_id, NOW)
    client.cookies.update(copy)
    assert client.get("/api/v1/me").status_code == 401
    with world.store.read() as s:
        assert s.scalars(select(WebSession.ended_why)).one() == "token_revoked"


def test_an_expired_session_is_refused(world: World, client: TestClient) -> None:
    sign_in(client, world.viewer)
    world.clock.advance(timedelta(hours=12))
    assert client.get("/api/v1/me").status_code == 401


def _try(client: TestClient, token: str) -> int:
    csrf = csrf_of(client.get("/login").text)
    return client.post("/login", data={"token": token, "csrf_token": csrf}, follow_redirects=False).status_code


def test_failed_sign_ins_are_limited_per_address_and_audited(world: World, client: TestClient) -> None:
    assert [_try(client, f"vgl_guess{i}") for i in range(MAX_FAILURES)] == [401] * MAX_FAILURES
    limited = client.post("/login", data={"token": world.owner, "csrf_token": csrf_of(client.get("/login").text)})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) == 60
    with world.store.read() as s:
        failures = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "auth.sign_in_failed")))
    assert len(failures) == MAX_FAILURES and {f.payload["address"] for f in failures} == {"testclient"}
    world.clock.advance(timedelta(seconds=60))
    assert _try(client, world.owner) == 303  # the window has passed


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(0, 200)), max_size=40))
def test_the_limit_counts_only_one_address_failures_within_the_window(events: list[tuple[str, int]]) -> None:
    class _NoStore:
        def write(self) -> None:  # the audit write is tested above; here only the counting
            raise AssertionError

    limiter, clock, seen = SignInLimiter(), ManualClock(NOW), {"a": [], "b": [], "c": []}
    limiter.failed = lambda _store, address, now, _reason: limiter._recent(address, now).append(now)  # type: ignore[method-assign]
    for address, gap in events:
        clock.advance(timedelta(seconds=gap))
        now = clock.now()
        recent = [t for t in seen[address] if t > now - timedelta(minutes=1)]
        if len(recent) >= MAX_FAILURES:
            with pytest.raises(TooManyAttempts):
                limiter.check(address, now)
        else:
            limiter.check(address, now)
            limiter.failed(_NoStore(), address, now, "x")
            seen[address].append(now)


def test_cookies_are_secure_when_served_over_https(world: World) -> None:
    with TestClient(create_app(world.store, clock=world.clock, secure_cookies=True)) as secure:
        response = secure.get("/login")
        assert "secure" in response.headers["set-cookie"].lower()
    with TestClient(create_app(world.store, clock=world.clock)) as plain:
        assert "secure" not in plain.get("/login").headers["set-cookie"].lower()


def test_only_allowed_hosts_are_answered(world: World) -> None:
    app = create_app(world.store, clock=world.clock, allowed_hosts=["vigil.example.org"])
    with TestClient(app, base_url="http://vigil.example.org") as good:
        assert good.get("/login").status_code == 200
    with TestClient(app, base_url="http://evil.example.com") as bad:
        assert bad.get("/login").status_code == 400


def test_store_index_and_evidence_are_private_whatever_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0o002)
    try:
        store = Store(f"sqlite:///{tmp_path / 'new' / 'vigil.db'}")
        with store.write() as s:  # a write makes SQLite create its WAL and shared-memory files
            s.execute(text("SELECT 1"))
        root = tmp_path / "new" / "vigil-evidence"
        with store.write() as s:
            archive(s, root=root, release_id=None, kind="other", requirement_ids=[], filename="x.txt",
                    media_type="text/plain", content=b"evidence", creator="t", now=NOW)
        key = session_key(store.url)
    finally:
        os.umask(previous)
    files = [p for p in (tmp_path / "new").iterdir() if p.is_file()]
    expected = {"vigil.db", "vigil.db-fts", "vigil.db-wal", "vigil.db-shm", "vigil.db.session-key"}
    assert {p.name for p in files} >= expected
    assert {p.name: _mode(p) for p in files} == {p.name: 0o600 for p in files}
    folders = [p for p in root.rglob("*") if p.is_dir()] + [root]
    assert {_mode(p) for p in folders} == {0o700}
    assert {_mode(p) for p in root.rglob("*") if p.is_file()} == {0o400}
    assert key
    store.dispose()


def test_removing_a_role_ends_what_it_allowed_in_open_sessions_at_once(world: World, client: TestClient) -> None:
    from vigil.access.service import add_user, remove_role

    add_user(world.store, "Aude Itor", NOW, role="auditor")
    copy, _ = _copied_session(client, world.viewer)
    assert client.get(f"/api/v1/releases/{DEMO}").status_code == 200
    remove_role(world.store, "Vic Viewer", "viewer", NOW, release=DEMO)
    with TestClient(create_app(world.store, clock=world.clock), cookies=copy) as other_worker:
        assert other_worker.get(f"/api/v1/releases/{DEMO}").status_code == 403
    assert client.get(f"/api/v1/releases/{DEMO}").status_code == 403  # the same process, its caches too
    assert client.get("/api/v1/releases").json()["releases"] == []
    with pytest.raises(VigilError, match="is not viewer"):
        remove_role(world.store, "Vic Viewer", "viewer", NOW, release=DEMO)

    from vigil.access.service import create_token

    auditor = create_token(world.store, "Aude Itor", NOW)[1]
    assert client.get(f"/api/v1/releases/{DEMO}", headers={"Authorization": f"Bearer {auditor}"}).status_code == 200
    remove_role(world.store, "Aude Itor", "auditor", NOW)
    assert client.get(f"/api/v1/releases/{DEMO}", headers={"Authorization": f"Bearer {auditor}"}).status_code == 403


def test_workers_starting_at_once_agree_on_one_key(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    url = f"sqlite:///{tmp_path / 'vigil.db'}"
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: session_key(url), range(16)))
    assert len(keys) == 1 and [p.name for p in tmp_path.iterdir()] == ["vigil.db.session-key"]
