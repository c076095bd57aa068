"""SMTP with STARTTLS and login, against a real aiosmtpd server that requires both (self-signed cert
made here, verified by the client through the channel's ``ca_file``)."""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import ValidationError

from vigil.alerts.notify.channels import DeliveryError, Message, SmtpSender
from vigil.plan.alerting import Channel

USER, PASSWORD = "vigil", "s3cret-pass"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


class _Inbox:
    def __init__(self) -> None:
        self.received: list[tuple[str | None, bytes]] = []  # (authenticated user, message)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((session.authenticated and session.auth_data.login.decode(), envelope.content))
        return "250 OK"


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(), PASSWORD.encode())
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[int, Path, _Inbox]]:
    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox, port = _Inbox(), free_port()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
        authenticator=_authenticator, auth_required=True, auth_require_tls=True,
    )
    controller.start()
    try:
        yield port, cert, inbox
    finally:
        controller.stop()


def _channel(port: int, cert: Path, **overrides: Any) -> Channel:
    fields: dict[str, Any] = {
        "name": "mail", "kind": "smtp", "host": "127.0.0.1", "port": port, "sender": "vigil@example.com",
        "to": ["oncall@example.com"], "starttls": True, "username": USER, "password_env": "VIGIL_TEST_SMTP_PW",
        "ca_file": str(cert), "timeout": timedelta(seconds=5),
    }
    return Channel(**{**fields, **overrides})


MESSAGE = Message(event="alert.critical", subject="[CRITICAL] memory-leak", body="Memory 12% above baseline")


def test_mail_goes_over_starttls_with_login(server, monkeypatch):
    port, cert, inbox = server
    monkeypatch.setenv("VIGIL_TEST_SMTP_PW", PASSWORD)
    receipt = SmtpSender(_channel(port, cert)).send(MESSAGE)
    assert receipt == "accepted for oncall@example.com"
    [(user, raw)] = inbox.received
    mail = message_from_bytes(raw)
    assert user == USER and mail["Subject"] == MESSAGE.subject and "Memory 12%" in mail.get_payload()


@pytest.mark.parametrize(
    ("overrides", "password", "expected"),
    [
        ({"starttls": False, "username": None, "password_env": None}, PASSWORD, "STARTTLS"),  # server requires it
        ({"username": None, "password_env": None}, PASSWORD, "uthenticat"),  # TLS but no login: refused
        ({}, "wrong", "SMTPAuthenticationError"),
        ({}, None, "VIGIL_TEST_SMTP_PW is not set"),
        ({"ca_file": None}, PASSWORD, "CERTIFICATE_VERIFY_FAILED"),  # an unverified server gets no password
    ],
    ids=["no-starttls", "no-login", "wrong-password", "password-unset", "untrusted-cert"],
)
def test_each_missing_piece_is_a_delivery_error_and_nothing_is_delivered(
    server, monkeypatch, overrides, password, expected
):
    port, cert, inbox = server
    if password is None:
        monkeypatch.delenv("VIGIL_TEST_SMTP_PW", raising=False)
    else:
        monkeypatch.setenv("VIGIL_TEST_SMTP_PW", password)
    with pytest.raises(DeliveryError, match=expected):
        SmtpSender(_channel(port, cert, **overrides)).send(MESSAGE)
    assert inbox.received == []


def test_a_server_without_starttls_never_gets_the_password(monkeypatch, tmp_path):
    inbox, port = _Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, auth_require_tls=False,
                            authenticator=_authenticator)
    controller.start()
    try:
        monkeypatch.setenv("VIGIL_TEST_SMTP_PW", PASSWORD)
        with pytest.raises(DeliveryError, match="STARTTLS"):
            SmtpSender(_channel(port, tmp_path, ca_file=None)).send(MESSAGE)
    finally:
        controller.stop()
    assert inbox.received == []


def test_a_login_without_starttls_or_password_variable_is_refused_in_the_plan():
    with pytest.raises(ValidationError, match="needs starttls"):
        Channel(name="m", kind="smtp", username="u", password_env="P")
    with pytest.raises(ValidationError, match="needs password_env"):
        Channel(name="m", kind="smtp", username="u", starttls=True)
