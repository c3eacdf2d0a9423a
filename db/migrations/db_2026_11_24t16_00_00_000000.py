"""Indexes for the list pages and lookups: each list reads one index range in id order, so a
page costs the same at 10k rows as at 1M. Plain SQL that SQLite and PostgreSQL both accept."""

from db.index_migration import index_migration

ID = "2026-11-24T16:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes for inbox, triage, mine, history and notifications"

INDEXES = [
    # /inbox for a department: newest first, optionally one status.
    "CREATE INDEX IF NOT EXISTS complaint_dept_id ON complaint (department, id)",
    "CREATE INDEX IF NOT EXISTS complaint_dept_status_id ON complaint (department, status, id)",
    # /inbox for the office across departments, by status.
    "CREATE INDEX IF NOT EXISTS complaint_status_id ON complaint (status, id)",
    # /triage: logged complaints, urgent first, then oldest first.
    "CREATE INDEX IF NOT EXISTS complaint_triage ON complaint (status, urgent DESC, received_at, id)",
    # /mine: what a first responder logged.
    "CREATE INDEX IF NOT EXISTS complaint_logged_by_id ON complaint (logged_by, id)",
    # Linked complaints: later repeats of this one.
    "CREATE INDEX IF NOT EXISTS complaint_previous_number ON complaint (previous_number)",
    # The complaint page's history in order.
    "CREATE INDEX IF NOT EXISTS complaint_event_complaint_id ON complaint_event (complaint, id)",
    # The unread count in every page header.
    'CREATE INDEX IF NOT EXISTS notification_unread ON notification ("user") WHERE read_at IS NULL',
    'CREATE INDEX IF NOT EXISTS notification_user_id ON notification ("user", id)',
]


async def forwards():
    return index_migration(ID, DESCRIPTION, INDEXES)
