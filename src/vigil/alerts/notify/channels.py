"""The three ways a message leaves vigil: a generic JSON webhook, a Slack incoming webhook, SMTP mail.

Each channel sends one message once and raises ``DeliveryError`` on failure; retrying is the
dispatcher's job, so channels stay simple and testable against a fake transport or a real server.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Protocol

import httpx

from vigil.errors import VigilError
from vigil.plan.alerting import Channel


class DeliveryError(VigilError):
    """One delivery attempt failed (the dispatcher may try again)."""


@dataclass(frozen=True)
class Message:
    event: str
    subject: str
    body: str
    recipients: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    # The same for every attempt at this message: a receiver drops a repeat by it (delivery is at-least-once).
    idempotency_key: str = ""


class Sender(Protocol):
    def send(self, message: Message) -> str:
        """Deliver once; return a short receipt (status code, accepted recipients)."""
        ...


class WebhookSender:
    def __init__(self, channel: Channel, transport: httpx.BaseTransport | None = None) -> None:
        self.channel, self._transport = channel, transport

    def payload(self, message: Message) -> dict[str, Any]:
        return {
            "event": message.event,
            "subject": message.subject,
            "text": message.body,
            "recipients": message.recipients,
            "data": message.data,
        }

    def send(self, message: Message) -> str:
        assert self.channel.url is not None
        try:
            with httpx.Client(transport=self._transport, timeout=self.channel.timeout.total_seconds()) as client:
                headers = {"Idempotency-Key": message.idempotency_key} if message.idempotency_key else {}
                response = client.post(self.channel.url, json=self.payload(message), headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{self.channel.name}: {type(exc).__name__}: {exc}") from None
        if response.status_code >= 300:
            raise DeliveryError(f"{self.channel.name}: HTTP {response.status_code} {response.text[:200]}")
        return f"HTTP {response.status_code}"


class SlackSender(WebhookSender):
    """Slack's incoming-webhook format (also understood by Mattermost and Rocket.Chat)."""

    def payload(self, message: Message) -> dict[str, Any]:
        text = f"*{message.subject}*\n{message.body}"
        body: dict[str, Any] = {
            "text": text,
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
        }
        slack_channel = next((r for r in message.recipients if r.startswith("#")), None)
        if slack_channel:
            body["channel"] = slack_channel
        return body


class SmtpSender:
    def __init__(self, channel: Channel) -> None:
        self.channel = channel

    def send(self, message: Message) -> str:
        to = [r for r in [*self.channel.to, *message.recipients] if "@" in r]
        if not to:
            raise DeliveryError(f"{self.channel.name}: no e-mail recipients")
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = self.channel.sender, ", ".join(to), message.subject
        message_id = f"<{message.idempotency_key}@vigil>" if message.idempotency_key else make_msgid(domain="vigil")
        mail["Date"], mail["Message-ID"] = formatdate(localtime=False), message_id
        mail["X-Vigil-Event"] = message.event
        mail.set_content(message.body)
        password = self._password()
        try:
            with smtplib.SMTP(
                self.channel.host, self.channel.port, timeout=self.channel.timeout.total_seconds()
            ) as smtp:
                if self.channel.starttls:
                    # starttls() raises SMTPNotSupportedError when the server offers none: never fall back
                    smtp.starttls(context=ssl.create_default_context(cafile=self.channel.ca_file))
                if self.channel.username and password is not None:
                    smtp.login(self.channel.username, password)
                refused = smtp.send_message(mail, to_addrs=to)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"{self.channel.name}: {type(exc).__name__}: {exc}") from None
        if refused:
            raise DeliveryError(f"{self.channel.name}: refused {', '.join(refused)}")
        return f"accepted for {', '.join(to)}"

    def _password(self) -> str | None:
        variable = self.channel.password_env
        if not self.channel.username or not variable:
            return None
        password = os.environ.get(variable)
        if not password:
            raise DeliveryError(f"{self.channel.name}: the password variable {variable} is not set")
        return password


def sender_for(channel: Channel, transport: httpx.BaseTransport | None = None) -> Sender:
    if channel.kind == "slack":
        return SlackSender(channel, transport)
    if channel.kind == "webhook":
        return WebhookSender(channel, transport)
    return SmtpSender(channel)
