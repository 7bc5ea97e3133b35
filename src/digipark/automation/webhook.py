"""The `webhook` action: the firing POSTed as JSON to an http(s) address, signed, with a timeout and retries.

The body is `{"rule_id", "park_id", "ts", "inputs"}` (compact JSON, keys sorted). Headers: `X-Digipark-Timestamp`
(epoch seconds of the attempt) and `X-Digipark-Signature: sha256=<hex>`, the HMAC-SHA256 under the action's
secret of `"<timestamp>." + body`, so a receiver checks both the body and its freshness. A 2xx answer is success;
a connection error, a timeout or a 5xx answer is retried (`retries` more times, 0.5 s, 1 s … apart); a 4xx is not.
The outcome (`done` or `failed`, the HTTP status, the attempts, the error) goes into the firing log. An address
inside the platform's network is `refused` unless the park's admin allow-listed it (core/network.py). The
call is made after the firing's transaction committed (automation/delivery.py), never inside it."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx
import orjson

from digipark.core import network

SIGNATURE_HEADER = "X-Digipark-Signature"
TIMESTAMP_HEADER = "X-Digipark-Timestamp"


def body_of(*, rule_id: int, park_id: int, ts: int, inputs: dict[str, Any]) -> bytes:
    return orjson.dumps(
        {"rule_id": rule_id, "park_id": park_id, "ts": ts, "inputs": inputs}, option=orjson.OPT_SORT_KEYS
    )


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, timestamp: str, body: bytes, header: str) -> bool:
    """What a receiver does: the signature matches the timestamp and body."""
    return hmac.compare_digest(signature(secret, timestamp, body), header)


def call(
    action: dict[str, Any],
    body: bytes,
    *,
    allowed: Sequence[str] = (),
    sleep: Callable[[float], None] = time.sleep,
    transport: httpx.BaseTransport | None = None,
    resolve: network.Resolver | None = None,
) -> dict[str, Any]:
    """POST `body` to the action's URL; the outcome for the firing log. `allowed`: the park's allow-listed
    networks (an inside address not in them is refused, not called)."""
    target = network.pin(action["url"], allowed, resolve=resolve)
    if isinstance(target, str):
        return {"status": "refused", "http_status": None, "attempts": 0, "error": target}
    attempts = 0
    last_error = ""
    status_code: int | None = None
    with httpx.Client(timeout=float(action["timeout_s"]), transport=transport, follow_redirects=False) as client:
        for attempt in range(int(action["retries"]) + 1):
            if attempt:
                sleep(0.5 * 2 ** (attempt - 1))
            attempts += 1
            timestamp = str(int(time.time()))
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "digipark-automation",
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: signature(action["secret"], timestamp, body),
            }
            try:
                response = client.post(
                    target.url, content=body, headers={**headers, **target.headers}, extensions=target.extensions
                )
            except httpx.HTTPError as error:
                status_code, last_error = None, f"{type(error).__name__}: {error}"[:300]
                continue
            status_code = response.status_code
            if 200 <= status_code < 300:
                return {"status": "done", "http_status": status_code, "attempts": attempts}
            last_error = f"HTTP {status_code}"
            if status_code < 500:
                break
    return {"status": "failed", "http_status": status_code, "attempts": attempts, "error": last_error}
