"""Group robots people answer in chat: 钉钉 (DingTalk) custom robots with their signing, 企业微信 (WeCom) group robots
and 飞书 (Feishu/Lark) custom bots with their signing. A contact's address is the robot's webhook URL as the chat
app gives it; its secret is the robot's signing secret (DingTalk "SEC…", Feishu), none for WeCom (its key is in
the URL).

Signing, as the vendors document it:
- DingTalk: `sign = urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp_ms}\\n{secret}")))`, sent as the query
  parameters `timestamp` and `sign` of the webhook URL; body `{"msgtype": "text", "text": {"content": …}}`.
- Feishu: `sign = base64(HMAC-SHA256(key=f"{timestamp_s}\\n{secret}", msg=b""))`, sent in the body with
  `timestamp`; body `{"msg_type": "text", "content": {"text": …}}`.
- WeCom: no signature; body `{"msgtype": "text", "text": {"content": …}}`.
Each answers HTTP 200 with a JSON error code (`errcode` / `code`, 0 = sent); anything else is a failure.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

import httpx

ROBOT_CHANNELS = ("dingtalk", "wecom", "feishu")


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """The `sign` query parameter (URL-encoded) of a DingTalk custom robot."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def feishu_sign(secret: str, timestamp_s: int) -> str:
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def robot_request(
    channel: str, url: str, text: str, secret: str | None, *, now: float | None = None
) -> tuple[str, dict[str, Any]]:
    """(the URL to post to, the JSON body) of a text message to a robot."""
    now = time.time() if now is None else now
    if channel == "dingtalk":
        body: dict[str, Any] = {"msgtype": "text", "text": {"content": text}}
        if secret:
            timestamp = int(now * 1000)
            separator = "&" if "?" in url else "?"
            url = f"{url}{separator}timestamp={timestamp}&sign={dingtalk_sign(secret, timestamp)}"
        return url, body
    if channel == "feishu":
        body = {"msg_type": "text", "content": {"text": text}}
        if secret:
            timestamp = int(now)
            body = {"timestamp": str(timestamp), "sign": feishu_sign(secret, timestamp), **body}
        return url, body
    if channel == "wecom":
        return url, {"msgtype": "text", "text": {"content": text}}
    raise ValueError(f"not a robot channel: {channel}")


def send_robot(
    channel: str, url: str, text: str, secret: str | None, *, timeout: float, post: Callable[..., Any] = httpx.post
) -> None:
    """Post a text message to a chat robot; raises with the robot's own error when it did not take it."""
    target, body = robot_request(channel, url, text, secret)
    response = post(target, json=body, timeout=timeout)
    response.raise_for_status()
    answer = response.json()
    code = answer.get("errcode", answer.get("code", 0)) if isinstance(answer, dict) else 0
    if code not in (0, "0"):
        message = answer.get("errmsg") or answer.get("msg") or ""
        raise RuntimeError(f"{channel} robot answered {code}: {message}"[:300])
