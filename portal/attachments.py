"""Evidence files (DOMAIN §2): limits, and storage outside the web root."""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from portal.i18n import N_
from portal.sniff import ACTIVE, sniff

MAX_FILES = 5
MAX_BYTES = 10 * 1024 * 1024
# Evidence people actually send: photos, scans, documents, recordings, short videos. The
# content type stored and served is the one read from the file's bytes (portal/sniff.py);
# these suffixes are what the file picker offers.
ALLOWED_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".pdf": "application/pdf",
    ".txt": "text/plain",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".wav": "audio/wav",
    ".mp4": "video/mp4",
}


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes

    @property
    def suffix(self) -> str:
        return Path(self.filename).suffix.lower()

    @property
    def sniffed(self) -> str | None:
        return sniff(self.content, self.suffix)

    @property
    def content_type(self) -> str:
        """What the bytes are (never the name's or the browser's word for it)."""
        kind = self.sniffed
        return kind if kind and kind != ACTIVE else "application/octet-stream"

    @property
    def stored_name(self) -> str:
        """The name kept and offered for download: the user's, with the extension of what the
        bytes are (see name_for)."""
        return name_for(self.filename, self.content_type)


_DRIVE = re.compile(r"^[A-Za-z]:")


def safe_filename(name: str) -> str:
    """The user's file name for display only: no path, drive, control or format characters."""
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf"))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _DRIVE.sub("", name).strip().strip(".").strip()
    return name[:200] or "file"


_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,8}$")


def name_for(filename: str, content_type: str) -> str:
    """The file name with the extension of the file's real type, the stem kept: a PNG sent as
    `page.html` is `page.png`, a PDF sent as `doc.png` is `doc.pdf`, a name without an
    extension gets one. A name whose extension already fits (.jpg or .jpeg for a JPEG) stays
    as it is, and so does one of a type not in ALLOWED_TYPES. Only a short run of letters and
    digits after the last dot counts as an extension ("v1.2 说明" has none)."""
    suffixes = [suffix for suffix, kind in ALLOWED_TYPES.items() if kind == content_type]
    if not suffixes:
        return filename
    found = _EXTENSION.search(filename)
    if found and found.group().lower() in suffixes:
        return filename
    stem = filename[:found.start()] if found else filename
    return (stem.rstrip(". ") or "file") + suffixes[0]


def upload_problems(uploads: list[Upload]) -> list[tuple[str, dict]]:
    """Messages (untranslated msgid, params) for every rule broken."""
    problems: list[tuple[str, dict]] = []
    if len(uploads) > MAX_FILES:
        problems.append((N_("At most %(max)d files can be attached."), {"max": MAX_FILES}))
    for up in uploads:
        if len(up.content) > MAX_BYTES:
            problems.append((N_("%(name)s is larger than 10 MB."), {"name": up.filename}))
        elif not up.content:
            problems.append((N_("%(name)s is empty."), {"name": up.filename}))
        elif up.sniffed == ACTIVE:
            problems.append((N_("%(name)s is a web page, drawing or program (HTML, SVG, XML, "
                                "script), which cannot be attached. Please attach a photo, PDF, "
                                "document or recording."), {"name": up.filename}))
        elif up.sniffed is None:
            problems.append((N_("%(name)s: this file type is not accepted. Photos (JPEG, PNG, "
                                "GIF, WebP), PDF, Word, Excel, text, MP3/M4A/WAV and MP4 are."),
                             {"name": up.filename}))
    return problems


def store(directory: Path, content: bytes) -> str:
    """Write the bytes under a random key and return the key (never the user's name)."""
    directory.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(16)
    (directory / key).write_bytes(content)
    return key


def path_of(directory: Path, key: str) -> Path:
    if not key.isalnum():
        raise ValueError("bad storage key")
    return directory / key
