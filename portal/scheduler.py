"""The background work: every minute, sweep deadlines and deliver the outbox; once a day,
anonymize the complaints closed long enough ago (DOMAIN §8). Runs inside the server (one task
per process; claims keep several processes from doing anything twice) or alone as
`portal worker`."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date, datetime

from db.anonymize import BATCH, AnonymizeResult, anonymize_due
from db.anonymize import describe as describe_anonymized
from db.commands import Env
from db.outbox import DeliveryResult, deliver
from db.sweep import SweepResult, describe, sweep
from portal.config import Settings
from portal.mailer import transport_for
from portal.policy import Policy
from portal.timeutil import utcnow

log = logging.getLogger("portal.scheduler")


@dataclass
class Tick:
    sweep: SweepResult
    mail: DeliveryResult
    anonymized: AnonymizeResult | None = None  # None: not this round's turn


# DOMAIN §8: one round anonymizes at most this many batches (db.anonymize.BATCH each, one
# short transaction per batch), so a backlog (the first run on an old database) is worked
# off over the next rounds without delaying the deadline sweep by more than seconds.
ROUND_BATCHES = 20


class Daily:
    """The anonymization runs at most once a day: on the first round of each local day (and
    after a start), and again on the following rounds only while a backlog remains."""

    def __init__(self, batch: int = BATCH, round_batches: int = ROUND_BATCHES) -> None:
        self.batch = batch
        self.round_batches = round_batches
        self.done_on: date | None = None

    async def run(self, now: datetime, settings: Settings, policy: Policy
                  ) -> AnonymizeResult | None:
        today = now.astimezone(settings.timezone).date()
        if self.done_on == today:
            return None
        try:
            result = await anonymize_due(now, env_for(settings, policy),
                                         settings.attachments_dir, batch=self.batch,
                                         max_batches=self.round_batches)
        except Exception:
            # The sweep and the mail of this round go on; the next try is tomorrow (the
            # batches done so far are committed, the failed one rolled back).
            log.exception("anonymization failed")
            self.done_on = today
            return None
        if not result.remaining:
            self.done_on = today
        return result


def env_for(settings: Settings, policy: Policy) -> Env:
    return Env(policy, settings.timezone, settings.base_url, settings.secret_key)


async def tick(settings: Settings, policy: Policy, now=None, daily: Daily | None = None) -> Tick:
    """One round: the deadline sweep, the daily anonymization when `daily` says it is its
    turn, then the mail (including what the sweep just wrote)."""
    fixed = now is not None  # tests pass their clock; the server reads the real one
    swept = await sweep(now if fixed else utcnow(), env_for(settings, policy))
    anonymized = await daily.run(now if fixed else utcnow(), settings, policy) if daily else None
    transport = transport_for(settings.smtp_url, settings.mail_dir, settings.mail_from)
    mail = DeliveryResult()
    while True:
        # A fresh clock per batch: the lease of each claim counts from when it is taken.
        batch = await deliver(transport, now if fixed else utcnow())
        mail.sent += batch.sent
        mail.failed += batch.failed
        mail.last_error = batch.last_error or mail.last_error
        if batch.failed or batch.sent == 0:
            break
    return Tick(swept, mail, anonymized)


async def run_forever(settings: Settings, policy: Policy, stop: asyncio.Event | None = None) -> None:
    from db.policy_store import Live, file_raw, refreshed

    stop = stop or asyncio.Event()
    live = Live(0, file_raw(settings.policy_path), policy)
    daily = Daily()
    while not stop.is_set():
        try:
            # A policy saved at /admin/policy applies from the next round.
            live = await refreshed(live, settings.policy_path)
            result = await tick(settings, live.policy, daily=daily)
            if result.sweep.notifications or result.mail.sent or result.mail.failed:
                log.info("sweep %s; mail sent %d, failed %d %s", describe(result.sweep),
                         result.mail.sent, result.mail.failed, result.mail.last_error)
            if result.anonymized and result.anonymized.anonymized:
                log.info("anonymized %s", describe_anonymized(result.anonymized))
        except Exception:  # keep the loop alive; the next round retries
            log.exception("scheduler round failed")
        try:
            await asyncio.wait_for(stop.wait(), timeout=settings.sweep_seconds)
        except TimeoutError:
            pass
