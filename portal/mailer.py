"""Email transports: SMTP (aiosmtplib) when SMTP_URL is set, else .eml files in a folder
a user can open (the demo). No database here: the outbox (db/outbox.py) drives them."""

from __future__ import annotations

import os
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import aiosmtplib


@dataclass(frozen=True)
class Outgoing:
    recipient: str
    subject: str
    body: str
    message_id: str
    created_at: object  # datetime


class _HeaderPolicy(EmailPolicy):
    """The standard policy, except that a header never starts on a line of its own. Python
    moves a value that would fit on one line of its own (a 60–77 character ASCII subject) to
    the next line, as "Subject:" CRLF SP value; unfolded, that reads " value", and mail
    programs show the subject with a leading space. Such a value stays on the first line:
    longer than 78 characters, well within the 998 allowed."""

    def fold(self, name, value):
        return self._join_first(super().fold(name, value), f"{name}:{self.linesep} ",
                                f"{name}: ")

    def fold_binary(self, name, value):
        return self._join_first(super().fold_binary(name, value),
                                f"{name}:{self.linesep} ".encode("ascii"),
                                f"{name}: ".encode("ascii"))

    @staticmethod
    def _join_first(folded, empty_first, joined):
        return joined + folded[len(empty_first):] if folded.startswith(empty_first) else folded


POLICY = _HeaderPolicy()


def build_message(mail: Outgoing, sender: str) -> EmailMessage:
    msg = EmailMessage(policy=POLICY)
    msg["From"] = sender
    msg["To"] = mail.recipient
    msg["Subject"] = mail.subject
    # A stable Message-ID: should a message ever be retried after the server took it,
    # receiving systems can tell it is the same one.
    msg["Message-ID"] = mail.message_id
    msg["Date"] = format_datetime(mail.created_at)
    msg.set_content(mail.body, charset="utf-8")
    return msg


class SmtpTransport:
    """smtp://[user:password@]host[:port][?starttls=1], or smtps:// for TLS from the start."""

    def __init__(self, url: str, sender: str, timeout: float = 10.0) -> None:
        parsed = urlparse(url)
        if parsed.scheme not in ("smtp", "smtps") or not parsed.hostname:
            raise ValueError(f"SMTP_URL must look like smtp://host:port, not {url!r}")
        self.sender = sender
        self.options = {
            "hostname": parsed.hostname,
            "port": parsed.port or (465 if parsed.scheme == "smtps" else 25),
            "username": unquote(parsed.username) if parsed.username else None,
            "password": unquote(parsed.password) if parsed.password else None,
            "use_tls": parsed.scheme == "smtps",
            "start_tls": parse_qs(parsed.query).get("starttls", ["0"])[0] in ("1", "true"),
            "timeout": timeout,
        }

    async def send(self, mail: Outgoing) -> None:
        await aiosmtplib.send(build_message(mail, self.sender), **self.options)


class EmlFolderTransport:
    """Writes each message as <folder>/<time>-<id>.eml; the same message twice is one file."""

    def __init__(self, folder: Path, sender: str) -> None:
        self.folder = Path(folder)
        self.sender = sender

    async def send(self, mail: Outgoing) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = mail.created_at.strftime("%Y%m%dT%H%M%S")
        name = f"{stamp}-{mail.message_id.strip('<>').split('@')[0][:16]}.eml"
        tmp = self.folder / f".{name}.tmp"
        tmp.write_bytes(bytes(build_message(mail, self.sender)))
        os.replace(tmp, self.folder / name)


def transport_for(smtp_url: str | None, mail_dir: Path, sender: str):
    return SmtpTransport(smtp_url, sender) if smtp_url else EmlFolderTransport(mail_dir, sender)
