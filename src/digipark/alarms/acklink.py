"""Signed acknowledge links carried by every alarm notification: opening the link (and pressing its one button)
acknowledges the alarm as the person the message went to, without signing in.

A token is `<alarm id>.<subject>.<expiry s>.<signature>`; the subject is `u<user id>` (a roster member) or
`c<contact id>` (a notification contact); the signature is base64url(HMAC-SHA256(key = the platform secret
(DIGIPARK_SECRET_KEY) with a purpose label, msg = "alarm-ack:<alarm>.<subject>.<expiry>")). A changed character or a
passed expiry is refused."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import hmac
import re

from digipark.core.config import get_settings

PURPOSE = b"digipark alarm acknowledge link v1\n"
_TOKEN = re.compile(r"^(\d{1,10})\.([uc]\d{1,10})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$")


class BadLink(Exception):
    """The link was changed, is not one of ours, or has expired (`expired`)."""

    def __init__(self, reason: str, *, expired: bool = False) -> None:
        super().__init__(reason)
        self.expired = expired


@dataclasses.dataclass(frozen=True)
class AckLink:
    alarm_id: int
    subject: str  # "u<id>" or "c<id>"
    expires: int  # unix seconds

    @property
    def user_id(self) -> int | None:
        return int(self.subject[1:]) if self.subject.startswith("u") else None

    @property
    def contact_id(self) -> int | None:
        return int(self.subject[1:]) if self.subject.startswith("c") else None


def _signature(alarm_id: int, subject: str, expires: int) -> str:
    key = hashlib.sha256(PURPOSE + get_settings().secret_key.encode()).digest()
    digest = hmac.new(key, f"alarm-ack:{alarm_id}.{subject}.{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def make_token(alarm_id: int, subject: str, *, now: dt.datetime | None = None, ttl_s: int | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    expires = int(now.timestamp()) + (ttl_s if ttl_s is not None else get_settings().alarms_ack_link_ttl_s)
    return f"{alarm_id}.{subject}.{expires}.{_signature(alarm_id, subject, expires)}"


def path(alarm_id: int, subject: str, *, now: dt.datetime | None = None) -> str:
    """The link's path (the duty app's push posts to it)."""
    return f"/alarms/ack/{make_token(alarm_id, subject, now=now)}"


def link(alarm_id: int, subject: str, *, now: dt.datetime | None = None) -> str:
    return get_settings().alarms_public_url.rstrip("/") + path(alarm_id, subject, now=now)


def verify(token: str, *, now: dt.datetime | None = None) -> AckLink:
    match = _TOKEN.match(token)
    if match is None:
        raise BadLink("malformed")
    alarm_id, subject, expires, signature = int(match[1]), match[2], int(match[3]), match[4]
    if not hmac.compare_digest(signature, _signature(alarm_id, subject, expires)):
        raise BadLink("bad signature")
    now = now or dt.datetime.now(dt.UTC)
    if now.timestamp() > expires:
        raise BadLink("expired", expired=True)
    return AckLink(alarm_id, subject, expires)
