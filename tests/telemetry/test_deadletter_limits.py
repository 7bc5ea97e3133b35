"""Issue 14 item 4: dead letters cannot grow without limit — the same payload cut for every reason, one rejection
per message however many values it holds, a per-source rate limit with one summary row beyond it, and a retention
period."""

from __future__ import annotations

import datetime as dt

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from digipark.core.config import get_settings
from digipark.core.modules import installed
from digipark.telemetry.ingest import InboundMessage, Ingestor
from digipark.telemetry.ingest_writes import DEAD_LETTER_PAYLOAD_BYTES, DeadLetterLimiter
from digipark.telemetry.models import DeadLetter
from digipark.telemetry.retention import purge_dead_letters
from tests.telemetry.test_ingest import NOW, TS, ingestor, letters, message, meter, native, rejections, traffic
from tests.web.helpers import login

__all__ = ["ingestor", "meter"]

CUT_MARK_BYTES = 40  # "... (<size> bytes, cut)"


def http(token: str, body: bytes, *, origin: str, received_ms: int = NOW) -> InboundMessage:
    return InboundMessage("http", None, token, body, received_ms, origin)


def test_every_reason_keeps_the_same_cut_of_a_large_payload(db: Session) -> None:
    ingestor = Ingestor(clock=lambda: NOW, refresh_interval_s=0.0, dead_letter_limiter=DeadLetterLimiter(100))
    # a valid message of an unknown token: its dead letter is the normalised message, larger than the raw one
    values = {f"k{i:06d}": 1.5 for i in range(30_000)}
    valid = orjson.dumps({"ts": TS, "values": values})
    malformed = b'{"ts": 1, "values": {' + b'"x": 1,' * 60_000
    ingestor.ingest(
        db,
        [
            message(native("no-such-token-cut"), valid),
            message(native("no-such-token-cut"), malformed),
        ],
    )
    stored = letters(db, token="no-such-token-cut")
    assert {letter.reason for letter in stored} == {"unknown_token", "malformed"}
    for letter in stored:
        size = len(letter.payload.encode("utf-8"))
        assert DEAD_LETTER_PAYLOAD_BYTES < size <= DEAD_LETTER_PAYLOAD_BYTES + CUT_MARK_BYTES, letter.reason
        assert letter.payload.endswith("bytes, cut)")


def test_a_message_with_60000_unknown_keys_is_one_rejection_with_its_count(
    db: Session, meter: tuple[int, str], ingestor: Ingestor
) -> None:
    device_id, token = meter
    body = orjson.dumps({"ts": TS, "values": {f"nope{i}": i for i in range(60_000)}})
    summary = ingestor.ingest(db, [message(native(token), body)])
    assert summary.rejected_by_reason == {"unknown_point": 60_000}  # the sender is told about each value
    assert rejections(db, device_id) == {"unknown_point": 1}
    assert traffic(db, device_id)["rejected"] == 1
    (letter,) = letters(db, device_id=device_id, reason="unknown_point")
    assert letter.value_count == 60_000 and letter.messages == 1


def test_beyond_its_rate_limit_a_source_gets_one_summary_row(db: Session) -> None:
    ingestor = Ingestor(clock=lambda: NOW, refresh_interval_s=0.0, dead_letter_limiter=DeadLetterLimiter(5))
    flood = [http(f"unknown-{i}", b'{"a": 1}', origin="203.0.113.7") for i in range(20)]
    ingestor.ingest(db, flood)
    rows = list(db.scalars(select(DeadLetter).where(DeadLetter.token.like("unkn%")).order_by(DeadLetter.id)))
    assert len(rows) == 6
    assert [row.messages for row in rows] == [1, 1, 1, 1, 1, 15]
    assert "beyond 5 a minute" in rows[-1].detail
    # more in the same minute: counted in the summary, no new row
    ingestor.ingest(db, [http(f"unknown-{i}", b'{"a": 1}', origin="203.0.113.7") for i in range(20, 30)])
    db.refresh(rows[-1])
    assert rows[-1].messages == 25
    count = select(func.count()).select_from(DeadLetter).where(DeadLetter.token.like("unkn%"))
    assert db.scalar(count) == 6
    # another sender has its own allowance; the next minute starts afresh
    ingestor.ingest(db, [http("unknown-other", b'{"a": 1}', origin="198.51.100.1")])
    ingestor.ingest(db, [http("unknown-later", b'{"a": 1}', origin="203.0.113.7", received_ms=NOW + 60_000)])
    assert db.scalar(count) == 8


def test_dead_letters_past_the_retention_period_are_purged(db: Session) -> None:
    now = dt.datetime.now(dt.UTC)
    days = get_settings().deadletter_retention_days
    assert days == 30
    ages = {"retention-old": days + 1, "retention-recent": days - 1}
    for token, age in ages.items():
        db.execute(
            insert(DeadLetter).values(
                received_at=now - dt.timedelta(days=age),
                source="http",
                token=token,
                payload="{}",
                reason="unknown_token",
                detail="test",
                status="open",
            )
        )
    purge_dead_letters(db, now=now)
    assert [letter.token for letter in letters(db) if letter.token in ages] == ["retention-recent"]


def test_the_purge_runs_as_a_background_service_of_the_ingest() -> None:
    declared = [ref for module in installed() for ref in module.background]
    assert "digipark.telemetry.retention:start_dead_letter_purge" in declared


def test_the_dead_letter_page_says_what_a_summary_row_stands_for(client: TestClient, db: Session) -> None:
    ingestor = Ingestor(clock=lambda: NOW, refresh_interval_s=0.0, dead_letter_limiter=DeadLetterLimiter(1))
    ingestor.ingest(db, [http(f"page-flood-{i}", b'{"a": 1}', origin="203.0.113.9") for i in range(4)])
    login(client, "TA-park_admin")
    page = client.get("/telemetry/dead-letters?lang=en&page_size=200&reason=unknown_token")
    assert page.status_code == 200
    assert "One row for 3 messages of this source beyond its rate limit" in page.text
