"""DOMAIN §8: Complaint.closed_at (when it last became final: closed or invalid) and
Complaint.anonymized_at (when its customer's personal data was erased). The next migration
fills closed_at for complaints closed before this one and adds the indexes."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "closed and anonymized instants"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="db", description=DESCRIPTION
    )
    for name in ("closed_at", "anonymized_at"):
        manager.add_column(
            table_class_name="Complaint",
            tablename="complaint",
            column_name=name,
            db_column_name=name,
            column_class_name="Timestamptz",
            column_class=Timestamptz,
            params={
                "default": None,
                "null": True,
                "primary_key": False,
                "unique": False,
                "index": False,
                "index_method": IndexMethod.btree,
                "choices": None,
                "db_column_name": None,
                "secret": False,
            },
            schema=None,
        )
    return manager
