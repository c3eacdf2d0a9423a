"""Complaint.repeat_manual: the office linked or unlinked a second complaint by hand (issue 12
§6). Every link made so far was made by the automatic check at intake: False is right for them."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-05T01:29:32:423024"
VERSION = "1.38.0"
DESCRIPTION = "repeat link decided by hand"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="db", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Complaint",
        tablename="complaint",
        column_name="repeat_manual",
        db_column_name="repeat_manual",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            "default": False,
            "null": False,
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
