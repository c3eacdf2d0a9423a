"""The email outbox: claim due messages with a lease, send, mark sent or schedule a retry
with back-off. A lease (locked_until) keeps two senders off the same message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from db.tables import OutboxEmail
from db.transactions import atomic, is_sqlite
from portal.mailer import Outgoing

LEASE = timedelta(minutes=5)  # longer than a batch of sends can take (20 × 10 s timeout)
MAX_DELAY = timedelta(hours=1)


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, … up to an hour between attempts."""
    return min(timedelta(seconds=30) * 2 ** max(attempts - 1, 0), MAX_DELAY)


@dataclass
class DeliveryResult:
    sent: int = 0
    failed: int = 0
    last_error: str = ""


async def claim(now: datetime, limit: int = 50) -> list[dict]:
    async with atomic():
        query = (OutboxEmail.select(OutboxEmail.id)
                 .where(OutboxEmail.sent_at.is_null()
                        & (OutboxEmail.next_attempt_at <= now)
                        & (OutboxEmail.locked_until.is_null() | (OutboxEmail.locked_until <= now)))
                 .order_by(OutboxEmail.next_attempt_at, OutboxEmail.id)
                 .limit(limit))
        if not is_sqlite():
            query = query.lock_rows("UPDATE", skip_locked=True)
        ids = [r["id"] for r in await query]
        if not ids:
            return []
        await OutboxEmail.update({OutboxEmail.locked_until: now + LEASE,
                                  OutboxEmail.attempts: OutboxEmail.attempts + 1}).where(
            OutboxEmail.id.is_in(ids))
        return await OutboxEmail.select().where(OutboxEmail.id.is_in(ids)).order_by(OutboxEmail.id)


async def deliver(transport, now: datetime, limit: int = 20) -> DeliveryResult:
    """Sends what is due once; call again (the scheduler does) for the rest and the retries."""
    result = DeliveryResult()
    server_down = False
    for row in await claim(now, limit):
        mail = Outgoing(row["recipient"], row["subject"], row["body"], row["message_id"],
                        row["created_at"])
        try:
            if server_down:  # do not knock on a closed door fifty times: retry them later
                raise ConnectionError(result.last_error)
            await transport.send(mail)
        except Exception as exc:  # noqa: BLE001 - any failure is retried later
            result.failed += 1
            server_down = server_down or isinstance(exc, OSError | TimeoutError) or (
                "connect" in type(exc).__name__.lower())
            result.last_error = result.last_error if server_down and result.last_error else (
                f"{type(exc).__name__}: {exc}"[:500])
            await OutboxEmail.update({
                OutboxEmail.locked_until: None,
                OutboxEmail.next_attempt_at: now + retry_delay(row["attempts"]),
                OutboxEmail.last_error: result.last_error,
            }).where(OutboxEmail.id == row["id"])
        else:
            result.sent += 1
            await OutboxEmail.update({OutboxEmail.sent_at: now, OutboxEmail.locked_until: None,
                                      OutboxEmail.last_error: ""}).where(OutboxEmail.id == row["id"])
    return result
