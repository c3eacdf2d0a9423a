"""DOMAIN §8: the anonymization of closed complaints (rules: portal/anonymize.py).

Batches of BATCH complaints, each one short transaction: claim the due complaints through the
partial index complaint_anonymize_due (closed_at of the closed complaints not anonymized yet;
FOR UPDATE SKIP LOCKED on PostgreSQL, so two workers share the work), then for each one erase
the customer's fields and scrub the free text of the record, its history rows, its revisit
calls and surveys, delete the survey emails sent to the customer from the outbox and its
attachments (rows and files), bump the version (an edit form open on it is stale), set
anonymized_at and write one `anonymized` history row. Nothing the statistics read changes;
the rollup is still moved (a no-op) so that it equals a rebuild whatever the rules become.

Files are deleted at the end of the batch's transaction, just before it commits: a failed
commit leaves rows whose files are gone (the next run deletes the rows), never the other way
round, a customer's document left on disk after its complaint was anonymized."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from db import rollup
from db.commands import Env, _event
from db.tables import Attachment, Complaint, ComplaintEvent, OutboxEmail, RevisitAttempt, Survey
from db.transactions import atomic, is_sqlite
from portal.anonymize import (
    ERASED,
    FINAL_STATUSES,
    SCRUBBED,
    history_changes,
    history_note,
    identity_of,
    record_changes,
)
from portal.anonymize import cutoff as due_cutoff
from portal.attachments import path_of

log = logging.getLogger("portal.anonymize")

BATCH = 500
EVENT = "anonymized"
_FINAL = ", ".join(f"'{s}'" for s in FINAL_STATUSES)
INDEX = "complaint_anonymize_due"  # migration 2026-12-06T09:05


def _due() -> str:
    """The partial index's own predicate, written out (literals, not parameters), so that
    both engines see that the index answers the query. SQLite is told to use it (without
    ANALYZE statistics it would rather read the status index); PostgreSQL's planner picks it
    from its statistics."""
    hint = f" INDEXED BY {INDEX}" if is_sqlite() else ""
    return (f"FROM complaint{hint} WHERE anonymized_at IS NULL AND status IN ({_FINAL}) "
            "AND closed_at <= {}")


@dataclass
class AnonymizeResult:
    anonymized: int = 0
    files_removed: int = 0
    batches: int = 0
    remaining: bool = False  # stopped at max_batches with complaints still due
    numbers: list[str] = field(default_factory=list)


async def due_count(now: datetime, env: Env) -> int:
    """How many complaints are due now (what a run would anonymize)."""
    limit = due_cutoff(now, env.policy.privacy, env.tz)
    if limit is None:
        return 0
    rows = await Complaint.raw(f"SELECT COUNT(*) AS n {_due()}", limit)  # noqa: S608
    return int(rows[0]["n"])


async def _claim(limit: datetime, batch: int) -> list[int]:
    sql = f"SELECT id {_due()} ORDER BY closed_at LIMIT {int(batch)}"  # noqa: S608
    if not is_sqlite():  # SQLite's write transaction already excludes other workers
        sql += " FOR UPDATE SKIP LOCKED"
    return [r["id"] for r in await Complaint.raw(sql, limit)]


def _parsed(changes: str) -> dict:
    try:
        value = json.loads(changes) if changes else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


async def _anonymize_batch(ids: list[int], now: datetime, env: Env, attachments_dir: Path,
                           result: AnonymizeResult) -> None:
    rows = await Complaint.select().where(Complaint.id.is_in(ids)).order_by(Complaint.id)
    events: dict[int, list[dict]] = {i: [] for i in ids}
    for e in await ComplaintEvent.select(ComplaintEvent.id, ComplaintEvent.complaint,
                                         ComplaintEvent.action, ComplaintEvent.note,
                                         ComplaintEvent.changes).where(
            ComplaintEvent.complaint.is_in(ids)):
        e["parsed"] = _parsed(e["changes"])
        events[e["complaint"]].append(e)
    surveys: dict[int, list[dict]] = {i: [] for i in ids}
    for s in await Survey.select(Survey.id, Survey.complaint, Survey.recipient,
                                 Survey.comments).where(Survey.complaint.is_in(ids)):
        surveys[s["complaint"]].append(s)
    calls: dict[int, list[dict]] = {i: [] for i in ids}
    for a in await RevisitAttempt.select(RevisitAttempt.id, RevisitAttempt.complaint,
                                         RevisitAttempt.note).where(
            RevisitAttempt.complaint.is_in(ids)):
        calls[a["complaint"]].append(a)
    files = await Attachment.select(Attachment.id, Attachment.storage_key).where(
        Attachment.complaint.is_in(ids))

    # Survey emails to the customer: found by address, kept only if about another complaint.
    addresses = {r["customer_email"] for r in rows if r["customer_email"]}
    addresses |= {s["recipient"] for ss in surveys.values() for s in ss if s["recipient"]}
    mails = await OutboxEmail.select(OutboxEmail.id, OutboxEmail.recipient,
                                     OutboxEmail.subject).where(
        OutboxEmail.recipient.is_in(sorted(addresses))) if addresses else []

    records, event_rows, survey_rows, call_rows, gone = [], [], [], [], []
    for row in rows:
        cid = row["id"]
        who = identity_of(row, [e["parsed"] for e in events[cid]],
                          [s["recipient"] for s in surveys[cid]])
        changes = record_changes(row, who)
        records.append(tuple(changes.get(n, row[n]) for n in _COLUMNS) + (now, cid))
        for e in events[cid]:
            note = history_note(e["action"], e["note"], who)
            parsed = history_changes(e["parsed"], who)
            if note != e["note"] or parsed != e["parsed"]:
                stored = json.dumps(parsed, ensure_ascii=False, default=str) \
                    if parsed != e["parsed"] else e["changes"]
                event_rows.append((note, stored, e["id"]))
        for s in surveys[cid]:
            comments = who.scrub(s["comments"])
            if s["recipient"] or comments != s["comments"]:
                survey_rows.append(("", comments, s["id"]))
        for a in calls[cid]:
            note = who.scrub(a["note"])
            if note != a["note"]:
                call_rows.append((note, a["id"]))
        mine = {row["customer_email"], *(s["recipient"] for s in surveys[cid])} - {""}
        gone += [m["id"] for m in mails
                 if m["recipient"] in mine and row["number"] in m["subject"]]
        await rollup.move(row, {**row, **changes}, env.policy, env.tz)  # a no-op, by design
        result.numbers.append(row["number"])
    await _many("UPDATE complaint SET "
                + ", ".join(f"{n} = ?" for n in _COLUMNS)
                + ", anonymized_at = ?, version = version + 1 WHERE id = ?", records)
    await _many("UPDATE complaint_event SET note = ?, changes = ? WHERE id = ?", event_rows)
    await _many("UPDATE survey SET recipient = ?, comments = ? WHERE id = ?", survey_rows)
    await _many("UPDATE revisit_attempt SET note = ? WHERE id = ?", call_rows)
    await ComplaintEvent.insert(*[_event(row["id"], now, None, EVENT, row["status"],
                                         row["status"]) for row in rows])
    if gone:
        await OutboxEmail.delete().where(OutboxEmail.id.is_in(gone))
    if files:
        await Attachment.delete().where(Attachment.id.is_in([f["id"] for f in files]))
    result.anonymized += len(rows)
    # Last, so that a failure above keeps every file of a complaint that is not anonymized.
    for f in files:
        try:
            path_of(attachments_dir, f["storage_key"]).unlink(missing_ok=True)
            result.files_removed += 1
        except (OSError, ValueError):
            log.exception("could not delete attachment file %s", f["storage_key"])


_COLUMNS = (*ERASED, *SCRUBBED)


async def _many(sql: str, rows: list[tuple]) -> None:
    """One prepared statement run for every row, on the transaction's own connection (a
    batch's thousands of updates cost milliseconds instead of a round trip each). `sql` is
    written with `?`; PostgreSQL gets `$1, $2, …`."""
    if not rows:
        return
    transaction = Complaint._meta.db.current_transaction.get()
    if transaction is None:
        raise RuntimeError("_many runs inside atomic()")
    if not is_sqlite():
        parts = sql.split("?")
        sql = "".join(f"{p}${i}" for i, p in enumerate(parts[:-1], 1)) + parts[-1]
    await transaction.connection.executemany(sql, rows)


async def anonymize_due(now: datetime, env: Env, attachments_dir: Path,
                        batch: int = BATCH, max_batches: int | None = None) -> AnonymizeResult:
    """Anonymizes every complaint due at `now`, `batch` per transaction; at most
    `max_batches` transactions (then `remaining` says whether more are due). Idempotent:
    an anonymized complaint is never claimed again."""
    result = AnonymizeResult()
    limit = due_cutoff(now, env.policy.privacy, env.tz)
    if limit is None:
        return result
    seen: set[int] = set()
    while max_batches is None or result.batches < max_batches:
        async with atomic():
            ids = [i for i in await _claim(limit, batch) if i not in seen]
            if not ids:
                return result  # nothing left (a row seen twice would mean a bug: do not spin)
            seen.update(ids)
            await _anonymize_batch(ids, now, env, attachments_dir, result)
        result.batches += 1
        if len(ids) < batch:
            return result
    result.remaining = await due_count(now, env) > 0
    return result


def describe(result: AnonymizeResult) -> str:
    return json.dumps({k: v for k, v in result.__dict__.items() if k != "numbers"})


__all__ = ["BATCH", "ERASED", "EVENT", "AnonymizeResult", "anonymize_due", "describe",
           "due_count"]
