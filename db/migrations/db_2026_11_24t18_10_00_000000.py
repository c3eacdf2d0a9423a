"""Indexes for deadlines: lists sorted by the nearest deadline, the sweep's partial index on
next_alert_at (only complaints with something still to send are in it), the once-only key
of reminders, and the outbox's pending messages. Plain SQL for SQLite and PostgreSQL."""

from db.index_migration import index_migration

ID = "2026-11-24T18:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes for deadlines, the sweep, alerts and the outbox"

INDEXES = [
    # /inbox sorted by the nearest deadline, per department and across departments.
    "CREATE INDEX IF NOT EXISTS complaint_dept_due ON complaint (department, next_due, id)",
    "CREATE INDEX IF NOT EXISTS complaint_due ON complaint (next_due, id)",
    # /triage: logged complaints, urgent first, then the nearest dispatch target.
    "CREATE INDEX IF NOT EXISTS complaint_triage_due ON complaint (status, urgent DESC, next_due, id)",
    # The sweep reads only complaints that have a reminder, breach or auto rule ahead.
    "CREATE INDEX IF NOT EXISTS complaint_next_alert ON complaint (next_alert_at) "
    "WHERE next_alert_at IS NOT NULL",
    # The office's queue of extension requests.
    "CREATE INDEX IF NOT EXISTS complaint_extension_pending ON complaint (id) "
    "WHERE extension_due IS NOT NULL",
    # Each reminder / breach once per complaint, deadline and due time.
    "CREATE UNIQUE INDEX IF NOT EXISTS deadline_alert_once "
    "ON deadline_alert (complaint, kind, deadline, due)",
    # The mail sender's queue.
    "CREATE INDEX IF NOT EXISTS outbox_email_pending ON outbox_email (next_attempt_at) "
    "WHERE sent_at IS NULL",
]


async def forwards():
    return index_migration(ID, DESCRIPTION, INDEXES)
