"""Settings from the environment. Read once; tests build their own Settings."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

DEFAULT_DATABASE_URL = "sqlite:///portal.db"


@dataclass(frozen=True)
class Settings:
    database_url: str
    data_dir: Path
    secret_key: str
    policy_path: Path | None
    base_url: str
    timezone: ZoneInfo
    secure_cookies: bool
    smtp_url: str | None = None  # SMTP_URL; without it mail goes to .eml files in mail_dir
    mail_from: str = "客户投诉管理 <portal@localhost>"
    scheduler: bool = True  # PORTAL_SCHEDULER=0: leave sweeps and mail to `portal worker`
    sweep_seconds: float = 60.0  # PORTAL_SWEEP_SECONDS
    poll_seconds: int = 30  # PORTAL_POLL_SECONDS: how often the bell asks for news

    @property
    def attachments_dir(self) -> Path:
        return self.data_dir / "attachments"

    @property
    def mail_dir(self) -> Path:
        """Where mail goes as .eml files when no SMTP_URL is set (the demo)."""
        return self.data_dir / "mail"

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgres://", "postgresql://"))


def sqlite_path(url: str) -> str:
    """sqlite:///relative.db or sqlite:////absolute.db, as in SQLAlchemy."""
    if not url.startswith("sqlite:///"):
        raise ValueError(f"DATABASE_URL must start with sqlite:/// or postgresql://, got {url!r}")
    return url[len("sqlite:///"):] or "portal.db"


def check_database_url(url: str) -> str:
    if url.startswith(("postgres://", "postgresql://")):
        if not urlparse(url).path.strip("/"):
            raise ValueError("DATABASE_URL for PostgreSQL must name a database")
        return url
    sqlite_path(url)
    return url


def _secret_key(data_dir: Path) -> str:
    """PORTAL_SECRET_KEY, else a random key kept in the data folder so sessions survive restarts."""
    key = os.environ.get("PORTAL_SECRET_KEY")
    if key:
        return key
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def load_settings() -> Settings:
    data_dir = Path(os.environ.get("PORTAL_DATA_DIR", "var")).resolve()
    policy = os.environ.get("PORTAL_POLICY")
    return Settings(
        database_url=check_database_url(os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)),
        data_dir=data_dir,
        secret_key=_secret_key(data_dir),
        policy_path=Path(policy) if policy else None,
        base_url=os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
        timezone=ZoneInfo(os.environ.get("PORTAL_TIMEZONE", "Asia/Shanghai")),
        secure_cookies=os.environ.get("PORTAL_SECURE_COOKIES", "") == "1",
        smtp_url=os.environ.get("SMTP_URL") or None,
        mail_from=os.environ.get("PORTAL_MAIL_FROM", "客户投诉管理 <portal@localhost>"),
        scheduler=os.environ.get("PORTAL_SCHEDULER", "1") != "0",
        sweep_seconds=max(1.0, float(os.environ.get("PORTAL_SWEEP_SECONDS", "60"))),
        poll_seconds=max(1, int(os.environ.get("PORTAL_POLL_SECONDS", "30"))),
    )
