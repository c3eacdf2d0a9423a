"""A real SMTP server in the test process (aiosmtpd) that keeps what it accepts."""

from __future__ import annotations

import email
import email.policy
import socket

from aiosmtpd.controller import Controller


class Collector:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[email.message.EmailMessage]:
        return [email.message_from_bytes(e.original_content or e.content,
                                         policy=email.policy.default) for e in self.envelopes]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpServer:
    """A free port with nothing listening yet; start() brings the server up on it."""

    def __init__(self) -> None:
        self.port = free_port()
        self.collector = Collector()
        self.controller = None

    @property
    def envelopes(self) -> list:
        return self.collector.envelopes

    def start(self) -> SmtpServer:
        self.controller = Controller(self.collector, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None
