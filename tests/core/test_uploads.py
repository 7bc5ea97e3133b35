"""The one upload check: size, declared type, content sniffing; and safe file names."""

from __future__ import annotations

import pytest

from digipark.core.errors import ValidationFailed
from digipark.core.spreadsheet import FileTooLarge, UnsupportedFile
from digipark.core.uploads import JPEG, PDF, PNG, TEXT, UploadRule, check_upload, safe_filename, webp

RULE = UploadRule(
    types={"application/pdf": PDF, "image/png": PNG, "image/jpeg": JPEG, "image/webp": webp, "text/plain": TEXT},
    max_bytes=1024 * 1024,
    accepted_names="PDF, PNG, JPEG, WebP or text",
    what="photo",
)
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


@pytest.mark.parametrize(
    ("content_type", "content"),
    [
        ("image/png", PNG_BYTES),
        ("IMAGE/PNG; charset=binary", PNG_BYTES),
        ("application/pdf", b"%PDF-1.7\n..."),
        ("image/webp", b"RIFF\x10\x00\x00\x00WEBPVP8 "),
        ("text/plain", "整改完成".encode()),
    ],
)
def test_accepts_a_file_that_is_what_it_claims(content_type: str, content: bytes) -> None:
    assert (
        check_upload(RULE, filename="a", content_type=content_type, content=content)
        == content_type.split(";")[0].lower()
    )


@pytest.mark.parametrize(
    ("content_type", "content", "error"),
    [
        ("image/png", b"MZ\x90\x00 an executable", UnsupportedFile),
        ("image/webp", b"RIFF\x10\x00\x00\x00WAVEfmt ", UnsupportedFile),
        ("text/plain", b"\xff\xfe\x00binary", UnsupportedFile),
        ("application/x-msdownload", b"MZ", UnsupportedFile),
        ("", PNG_BYTES, UnsupportedFile),
        ("image/png", b"", ValidationFailed),
        ("image/png", PNG_BYTES + b"\x00" * (1024 * 1024), FileTooLarge),
    ],
)
def test_refuses(content_type: str, content: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        check_upload(RULE, filename="a.png", content_type=content_type, content=content)


def test_refuses_a_nameless_file_and_names_the_field() -> None:
    with pytest.raises(ValidationFailed) as raised:
        check_upload(RULE, filename="  ", content_type="image/png", content=PNG_BYTES, field="photo")
    assert raised.value.errors[0]["field"] == "photo"


def test_the_message_names_what_is_accepted() -> None:
    with pytest.raises(UnsupportedFile, match="use PDF, PNG, JPEG, WebP or text"):
        check_upload(RULE, filename="a", content_type="video/mp4", content=b"x")
    with pytest.raises(FileTooLarge, match="the photo is larger than 1 MB"):
        check_upload(RULE, filename="a", content_type="image/png", content=PNG_BYTES * 70000)


def test_safe_filename() -> None:
    assert safe_filename("C:\\Users\\x\\现场.png") == "现场.png"
    assert safe_filename('../../etc/"pass"<wd>') == "passwd"
    assert safe_filename("dir/\x00\n") == "file"
    assert safe_filename("  ", default="photo") == "photo"
    assert len(safe_filename("a" * 500)) == 200
