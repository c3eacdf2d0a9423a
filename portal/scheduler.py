"""The background work: every minute, sweep deadlines and deliver the outbox. Runs inside
the server (one task per process; claims keep several processes from doing anything
twice) or alone as `portal worker`."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

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


def env_for(settings: Settings, policy: Policy) -> Env:
    return Env(policy, settings.timezone, settings.base_url, settings.secret_key)


async def tick(settings: Settings, policy: Policy, now=None) -> Tick:
    """One round: the deadline sweep, then the mail (including what the sweep just wrote)."""
    fixed = now is not None  # tests pass their clock; the server reads the real one
    swept = await sweep(now if fixed else utcnow(), env_for(settings, policy))
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
    return Tick(swept, mail)


async def run_forever(settings: Settings, policy: Policy, stop: asyncio.Event | None = None) -> None:
    from db.policy_store import Live, file_raw, refreshed

    stop = stop or asyncio.Event()
    live = Live(0, file_raw(settings.policy_path), policy)
    while not stop.is_set():
        try:
            # A policy saved at /admin/policy applies from the next round.
            live = await refreshed(live, settings.policy_path)
            result = await tick(settings, live.policy)
            if result.sweep.notifications or result.mail.sent or result.mail.failed:
                log.info("sweep %s; mail sent %d, failed %d %s", describe(result.sweep),
                         result.mail.sent, result.mail.failed, result.mail.last_error)
        except Exception:  # keep the loop alive; the next round retries
            log.exception("scheduler round failed")
        try:
            await asyncio.wait_for(stop.wait(), timeout=settings.sweep_seconds)
        except TimeoutError:
            pass
