"""What a file is, read from its first bytes (never from its name or the browser's claim).

Only the kinds of evidence we accept are recognised (portal/attachments.py); anything else is
None. Markup and scripts (HTML, SVG, XML, JavaScript, shell, executables) are told apart so
the refusal can say why: a browser would run them if they were ever shown inline.
"""

from __future__ import annotations

import io
import zipfile

JPEG, PNG, GIF, WEBP = "image/jpeg", "image/png", "image/gif", "image/webp"
PDF, TEXT = "application/pdf", "text/plain"
DOC, XLS = "application/msword", "application/vnd.ms-excel"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MP3, M4A, WAV, MP4 = "audio/mpeg", "audio/mp4", "audio/wav", "video/mp4"
ACTIVE = "active"  # markup, script or program: refused whatever the name says

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MARKUP_SIGNS = (b"<!doctype", b"<html", b"<head", b"<body", b"<script", b"<svg", b"<?xml",
                b"<iframe", b"<object", b"<embed", b"<meta", b"<img", b"<a ", b"<form",
                b"<style", b"<link", b"javascript:")
PROGRAM_SIGNS = (b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe")


def _zip_office(content: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    return None


def _is_mp3(head: bytes) -> bool:
    # An ID3 tag, or an MPEG audio layer III frame header (not a UTF-16 byte-order mark).
    return head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF
                                       and head[1] & 0xE0 == 0xE0 and head[1] & 0x06 == 0x02)


def _text(content: bytes) -> str | None:
    for encoding in ("utf-8-sig", "utf-16", "gb18030"):
        if encoding == "utf-16" and not content.startswith((b"\xff\xfe", b"\xfe\xff")):
            continue
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        if any(ord(ch) < 32 and ch not in "\t\n\r\f" for ch in text[:65536]):
            return None
        return text
    return None


def sniff(content: bytes, suffix: str = "") -> str | None:
    """The content type of `content`, ACTIVE for markup/scripts/programs, None if unknown.

    `suffix` (lower-case, with the dot) only tells a Word file from an Excel file in the old
    binary format, whose container is the same, and lets plain text through only as `.txt`.
    """
    head = content[:64]
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return WAV
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(OLE2):
        return {".doc": DOC, ".xls": XLS}.get(suffix)
    if head.startswith(b"PK\x03\x04"):
        return _zip_office(content)
    if head[4:8] == b"ftyp":
        return M4A if head[8:11] == b"M4A" else MP4
    if _is_mp3(head):
        return MP3
    if head.startswith(PROGRAM_SIGNS):
        return ACTIVE
    text = _text(content)
    if text is None:
        return None
    lowered = text[:4096].lower().encode("utf-8", "replace")
    if lowered.lstrip().startswith(b"<") or any(sign in lowered for sign in MARKUP_SIGNS):
        return ACTIVE
    return TEXT if suffix == ".txt" else None
