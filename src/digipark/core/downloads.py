"""File downloads: one response shape for every report, evidence file and export."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Response


def file_response(content: bytes, media_type: str, filename: str, *, inline: bool = False) -> Response:
    """`content` as a file named `filename` (any characters: an ASCII fallback plus the RFC 6266 UTF-8 name)."""
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "")
    disposition = (
        f"{'inline' if inline else 'attachment'}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"},
    )
