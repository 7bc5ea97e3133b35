"""One check for an uploaded file (evidence, photos, attachments): its size, its declared type, and whether its
first bytes are what that type begins with, so that a renamed executable is refused (415), not stored."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

from digipark.core.errors import field_error
from digipark.core.spreadsheet import FileTooLarge, UnsupportedFile

Sniff = tuple[bytes, ...] | Callable[[bytes], bool] | None
"""How a type's content is recognised: one of these leading bytes, a test of the content, or None for UTF-8 text."""

PDF: Sniff = (b"%PDF-",)
PNG: Sniff = (b"\x89PNG\r\n\x1a\n",)
JPEG: Sniff = (b"\xff\xd8\xff",)
ZIP_OFFICE: Sniff = (b"PK\x03\x04",)  # .docx / .xlsx are zip packages
TEXT: Sniff = None


def webp(content: bytes) -> bool:
    return content.startswith(b"RIFF") and content[8:12] == b"WEBP"


@dataclasses.dataclass(frozen=True)
class UploadRule:
    """What one kind of upload accepts: media type -> how its content is recognised, and the size limit.
    `accepted_names` says in words which files to use (the error's hint)."""

    types: Mapping[str, Sniff]
    max_bytes: int
    accepted_names: str
    what: str = "file"


def check_upload(rule: UploadRule, *, filename: str, content_type: str, content: bytes, field: str = "file") -> str:
    """The declared media type of an acceptable upload; raises 413 (too large), 415 (type not accepted or the
    content is not what it claims to be) or 422 (empty, nameless)."""
    if len(content) > rule.max_bytes:
        raise FileTooLarge(f"the {rule.what} is larger than {rule.max_bytes // (1024 * 1024)} MB")
    if not content:
        raise field_error(field, "the file is empty")
    if not filename.strip():
        raise field_error(field, "the file has no name")
    declared = (content_type or "").split(";")[0].strip().lower()
    if declared not in rule.types:
        raise UnsupportedFile(f"files of type {declared or 'unknown'} are not accepted; use {rule.accepted_names}")
    if not _matches(rule.types[declared], content):
        raise UnsupportedFile(f"the {rule.what} is not the {declared} it claims to be")
    return declared


def _matches(sniff: Sniff, content: bytes) -> bool:
    if sniff is None:
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True
    if callable(sniff):
        return sniff(content)
    return any(content.startswith(signature) for signature in sniff)


def safe_filename(filename: str, default: str = "file") -> str:
    """The last path segment of an uploaded file's name, printable, without quotes or angle brackets, at most 200
    characters (shown in pages and Content-Disposition headers)."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return "".join(ch for ch in name if ch.isprintable() and ch not in '"<>')[:200] or default
