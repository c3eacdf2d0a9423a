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

    @property
    def attachments_dir(self) -> Path:
        return self.data_dir / "attachments"

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
    )
