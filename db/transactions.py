"""One helper to open a write transaction on either engine."""

from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from db.tables import Complaint


def atomic():
    """A write transaction. On SQLite it takes the write lock at BEGIN (IMMEDIATE), so two
    writers queue instead of failing with 'database is locked' half-way through."""
    engine = Complaint._meta.db
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()


def is_sqlite() -> bool:
    return isinstance(Complaint._meta.db, SQLiteEngine)
