import io
import zipfile

import pytest

from portal.attachments import MAX_BYTES, Upload, name_for, safe_filename, upload_problems
from portal.sniff import ACTIVE, sniff

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="4"/></svg>'


def office(kind: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml" if kind == "docx" else "xl/workbook.xml", "<x/>")
    return buffer.getvalue()


def test_five_good_files_pass():
    assert upload_problems([Upload(f"p{i}.JPG", JPEG) for i in range(5)]) == []


def test_six_files_are_too_many():
    assert upload_problems([Upload(f"p{i}.jpg", JPEG) for i in range(6)])[0][1] == {"max": 5}


def test_big_wrong_and_empty_files():
    problems = upload_problems([Upload("a.pdf", PDF + b"x" * MAX_BYTES), Upload("b.exe", b"MZ\x90"),
                                Upload("c.png", b"")])
    assert [p[1]["name"] for p in problems] == ["a.pdf", "b.exe", "c.png"]


def test_exactly_ten_megabytes_is_fine():
    assert upload_problems([Upload("a.pdf", PDF + b"x" * (MAX_BYTES - len(PDF)))]) == []


@pytest.mark.parametrize(("content", "name", "expected"), [
    (PNG, "scan.png", "image/png"),
    (JPEG, "photo.jpeg", "image/jpeg"),
    (b"GIF89a\x01\x00", "a.gif", "image/gif"),
    (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "a.webp", "image/webp"),
    (PDF, "report.pdf", "application/pdf"),
    (office("docx"), "letter.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (office("xlsx"), "sheet.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 20, "old.doc", "application/msword"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 20, "old.xls", "application/vnd.ms-excel"),
    (b"ID3\x04\x00\x00", "call.mp3", "audio/mpeg"),
    (b"\xff\xfb\x90\x00", "call.mp3", "audio/mpeg"),
    (b"\x00\x00\x00\x20ftypM4A ", "call.m4a", "audio/mp4"),
    (b"RIFF\x00\x00\x00\x00WAVEfmt ", "call.wav", "audio/wav"),
    (b"\x00\x00\x00\x18ftypmp42", "clip.mp4", "video/mp4"),
    ("客户来电记录：产品有裂纹。\n".encode(), "note.txt", "text/plain"),
    ("客户来电记录：产品有裂纹。\n".encode("gb18030"), "note.txt", "text/plain"),
])
def test_the_type_is_read_from_the_content(content, name, expected):
    up = Upload(name, content)
    assert up.content_type == expected
    assert upload_problems([up]) == []


@pytest.mark.parametrize(("content", "name", "expected"), [
    (PNG, "invoice.pdf", "image/png"),
    (PDF, "photo.jpg", "application/pdf"),
    (JPEG, "no-suffix", "image/jpeg"),
])
def test_a_name_that_lies_does_not_decide_the_type(content, name, expected):
    up = Upload(name, content)
    assert up.content_type == expected
    assert upload_problems([up]) == []


@pytest.mark.parametrize(("content", "name"), [
    (HTML, "photo.jpg"),
    (SVG, "chart.png"),
    (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "scan.pdf"),
    (b"\n  <html><img src=x onerror=alert(1)>", "notes.txt"),
    (b"hello <script>alert(1)</script>", "notes.txt"),
    (b"#!/bin/sh\nrm -rf /\n", "notes.txt"),
    (b"MZ\x90\x00\x03\x00\x00\x00", "setup.docx"),
])
def test_markup_scripts_and_programs_are_refused_whatever_the_name(content, name):
    up = Upload(name, content)
    assert up.sniffed == ACTIVE
    assert up.content_type == "application/octet-stream"
    [(message, params)] = upload_problems([up])
    assert "HTML" in message and params == {"name": name}


@pytest.mark.parametrize(("content", "name"), [
    (b"plain words", "photo.jpg"),  # text is only text when it says so
    (b"\x00\x01\x02\x03binary", "data.bin"),
    (b"PK\x03\x04not really a zip", "letter.docx"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 20, "macro.ppt"),
])
def test_unknown_content_is_refused(content, name):
    [(message, params)] = upload_problems([Upload(name, content)])
    assert "not accepted" in message and params == {"name": name}


def test_an_empty_file_is_refused_as_empty():
    [(message, _)] = upload_problems([Upload("note.txt", b"")])
    assert "empty" in message


def test_sniff_tells_old_word_from_old_excel_only_by_the_suffix():
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 20
    assert (sniff(ole, ".doc"), sniff(ole, ".xls"), sniff(ole, ".pdf")) == (
        "application/msword", "application/vnd.ms-excel", None)


@pytest.mark.parametrize(("raw", "clean"), [
    ("C:\\Users\\x\\photo.jpg", "photo.jpg"),
    ("../../etc/passwd", "passwd"),
    ("..\\..\\boot.ini", "boot.ini"),
    ("C:evil.pdf", "evil.pdf"),
    ("  ", "file"),
    ("..", "file"),
    ("re\x00port\r\n.pdf", "report.pdf"),
    ("invoice\u202egpj.exe", "invoicegpj.exe"),  # no right-to-left override tricks
    ("检测报告.pdf", "检测报告.pdf"),
    ("a" * 300 + ".pdf", "a" * 200),
])
def test_safe_filename_keeps_only_a_display_name(raw, clean):
    assert safe_filename(raw) == clean


@pytest.mark.parametrize(("name", "kind", "expected"), [
    ("page.html", "image/png", "page.png"),
    ("doc.png", "application/pdf", "doc.pdf"),
    ("photo.jpeg", "image/jpeg", "photo.jpeg"),  # either extension of a JPEG stays
    ("photo.JPG", "image/jpeg", "photo.JPG"),
    ("scan", "image/jpeg", "scan.jpg"),
    ("张三 v1.2 说明", "application/pdf", "张三 v1.2 说明.pdf"),  # ".2 说明" is no extension
    ("archive.tar.gz", "application/pdf", "archive.tar.pdf"),
    ("note.md", "text/plain", "note.txt"),
    ("letter.doc", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
     "letter.docx"),
    (".png", "application/pdf", "file.pdf"),
    ("odd.bin", "application/octet-stream", "odd.bin"),  # not a type we store: left alone
])
def test_a_stored_name_carries_the_extension_of_the_sniffed_type(name, kind, expected):
    assert name_for(name, kind) == expected


def test_an_upload_is_stored_under_the_name_of_what_it_is():
    assert Upload("invoice.pdf", PNG).stored_name == "invoice.png"
    assert Upload("a" * 200, PDF).stored_name == "a" * 200 + ".pdf"
