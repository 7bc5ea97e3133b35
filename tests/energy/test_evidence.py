"""An entry's evidence file: size, declared type and content are checked before anything is stored; the name kept
is the last path segment without quotes or angle brackets."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from digipark.energy import service
from tests.conftest import World, bearer

API = "/api/v1/energy"


def _upload(client: TestClient, url: str, headers: dict[str, str], name: str, content: bytes, media: str) -> Any:
    return client.post(url, files={"file": (name, content, media)}, headers=headers)


def test_evidence_is_checked_before_it_is_stored(client: TestClient, world: World) -> None:
    headers = bearer(world.a.tokens["enterprise"])
    entry = client.post(
        f"{API}/entries", json={"carrier": "diesel", "period": "2025-01", "quantity": 1}, headers=headers
    )
    assert entry.status_code == 201, entry.text
    url = f"{API}/entries/{entry.json()['id']}/evidence"

    too_large = _upload(client, url, headers, "a.pdf", b"%PDF-" + b"0" * service.MAX_EVIDENCE_BYTES, "application/pdf")
    assert too_large.status_code == 413 and too_large.json()["detail"] == "the file is larger than 5 MB"
    refused = _upload(client, url, headers, "a.exe", b"MZ\x90\x00", "application/x-msdownload")
    assert refused.status_code == 415
    assert refused.json()["detail"] == (
        "files of type application/x-msdownload are not accepted; use PDF, PNG, JPEG, Excel or text"
    )
    renamed = _upload(client, url, headers, "invoice.pdf", b"MZ\x90\x00", "application/pdf")
    assert (
        renamed.status_code == 415 and renamed.json()["detail"] == "the file is not the application/pdf it claims to be"
    )
    not_text = _upload(client, url, headers, "note.txt", b"\xff\xfe\x00", "text/plain")
    assert not_text.status_code == 415
    empty = _upload(client, url, headers, "a.pdf", b"", "application/pdf")
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "file"
    assert client.get(url, headers=headers).status_code == 404  # nothing was stored

    stored = _upload(client, url, headers, "C:\\scans\\发票<1>.pdf", b"%PDF-1.4 invoice", "application/pdf; q=1")
    assert stored.status_code == 200, stored.text
    assert stored.json()["evidence_name"] == "发票1.pdf" and stored.json()["evidence_size"] == 16
    download = client.get(url, headers=headers)
    assert download.content == b"%PDF-1.4 invoice" and download.headers["content-type"] == "application/pdf"
