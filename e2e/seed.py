"""`python -m e2e.seed STATUS [DEPARTMENT]`: log a complaint in the e2e server's database and
walk it to STATUS with the demo users, as the pages would; prints its number. Browser tests
that need a complaint of their own use it, so they do not depend on which demo complaints
other tests (in any order, on any worker) have used up."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path


async def _seed(status: str, department: str) -> str:
    from db.commands import log_complaint
    from db.tables import User
    from portal.config import load_settings
    from portal.demo import advance
    from portal.policy import load_policy
    from portal.timeutil import utcnow
    from portal.workflow import Viewer
    from tests.factories import intake_data

    rows = await User.select(User.id, User.username, User.role, User.department)
    viewers = {r["username"]: Viewer(r["id"], r["role"], r["department"]) for r in rows}
    settings = load_settings()
    data = intake_data(customer_phone="13900001111", customer_email="e2e@example.com")
    number = await log_complaint(data, viewers["clerk"].id, [], utcnow(),
                                 load_policy(settings.policy_path), Path(settings.attachments_dir),
                                 settings.timezone)
    await advance(number, status, viewers, department)
    return number


def main() -> None:
    import portal  # noqa: F401  (sets PICCOLO_CONF before the tables are imported)

    department = sys.argv[2] if len(sys.argv) > 2 else "QA"
    print(asyncio.run(_seed(sys.argv[1], department)))


if __name__ == "__main__":
    main()
