"""Mosquitto password and ACL files so that each device may publish only to its own topic.

Each device connects with its token as user name *and* password and may write only
`digipark/v1/<its token>/telemetry` and ThingsBoard's `v1/devices/me/telemetry` (which the Mosquitto plugin
`deploy/mosquitto/digipark_topics.c` moves to the former: without the plugin the platform cannot tell who sent
it); gateways (devices whose protocol is `gateway`, and those named with `gateway_tokens`) may also write
`v1/gateway/telemetry` (moved by the plugin to `digipark/v1/<its token>/gateway/telemetry`, which they may write
too); a device may read only its own downlink topics `digipark/v1/<its token>/downlink/#`;
the platform's own user may read (subscribe to) the telemetry topics. The embedded broker applies the same
rules (`device_publish_topics`, `telemetry.broker_access`). Passwords are hashed the way
`mosquitto_passwd` does since Mosquitto 2.0: `$7$<iterations>$<base64 salt>$<base64 PBKDF2-HMAC-SHA512>`, with
101 iterations and a 12-byte salt (its defaults). Use the files with

    password_file /etc/mosquitto/digipark.passwd
    acl_file /etc/mosquitto/digipark.acl
    allow_anonymous false
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.telemetry.mqtt import GATEWAY_TOPIC, PLATFORM_TOPICS, THINGSBOARD_TOPIC

PBKDF2_ITERATIONS = 101
SALT_BYTES = 12
PASSWORD_FILE = "digipark.passwd"
ACL_FILE = "digipark.acl"
GATEWAY_PROTOCOL = "gateway"  # Device.protocol of a ThingsBoard-format gateway
DEVICE_DOWNLINK_PREFIX = "digipark/v1/{token}/downlink/"
# A token must be usable as a user name (no ':'), in a topic level (no '/', '+', '#') and as one word.
_SAFE_TOKEN = re.compile(r"^[^\s:/+#\x00]{1,64}$")


def mosquitto_hash(password: str, *, salt: bytes | None = None, iterations: int = PBKDF2_ITERATIONS) -> str:
    """The `$7$` hash mosquitto_passwd writes for a password."""
    salt = os.urandom(SALT_BYTES) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_mosquitto_hash(password: str, hashed: str) -> bool:
    parts = hashed.split("$")
    if len(parts) != 5 or parts[1] != "7":
        return False
    iterations, salt, digest = int(parts[2]), base64.b64decode(parts[3]), base64.b64decode(parts[4])
    return hmac.compare_digest(hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations), digest)


def device_topic(token: str) -> str:
    return f"digipark/v1/{token}/telemetry"


def gateway_topic(token: str) -> str:
    return f"digipark/v1/{token}/gateway/telemetry"


def device_publish_topics(token: str, *, gateway: bool) -> tuple[str, ...]:
    """The topics a device may publish to."""
    own = (device_topic(token), THINGSBOARD_TOPIC)
    return (*own, GATEWAY_TOPIC, gateway_topic(token)) if gateway else own


def device_downlink_filter(token: str) -> str:
    return DEVICE_DOWNLINK_PREFIX.format(token=token) + "#"


@dataclass
class AclResult:
    password_file: Path
    acl_file: Path
    devices: int
    platform_user: str
    platform_password: str
    skipped: list[str] = field(default_factory=list)  # tokens that cannot be MQTT user names


def device_tokens(session: Session, *, park_id: int | None = None) -> list[str]:
    """Tokens of the devices allowed to publish: every device that is not retired, optionally of one park."""
    return [token for token, _gateway in device_credentials(session, park_id=park_id)]


def device_credentials(session: Session, *, park_id: int | None = None) -> list[tuple[str, bool]]:
    """(token, is a gateway) of every device that is not retired, optionally of one park."""
    from digipark.registry.models import Device, DeviceStatus

    query = select(Device.token, Device.protocol).where(Device.status != DeviceStatus.RETIRED.value).order_by(Device.id)
    if park_id is not None:
        query = query.where(Device.park_id == park_id)
    return [(token, protocol == GATEWAY_PROTOCOL) for token, protocol in session.execute(query) if token]


def write_acl_files(
    out_dir: Path,
    tokens: Sequence[str],
    *,
    platform_user: str = "digipark",
    platform_password: str | None = None,
    gateway_tokens: Sequence[str] = (),
) -> AclResult:
    """Write `digipark.passwd` and `digipark.acl` into out_dir (created if needed; files are mode 0600)."""
    if not _SAFE_TOKEN.match(platform_user):
        raise ValueError(f"platform user {platform_user!r} cannot be an MQTT user name")
    password = platform_password or secrets.token_urlsafe(18)
    gateways = set(gateway_tokens)
    usable = [t for t in dict.fromkeys([*tokens, *gateway_tokens]) if _SAFE_TOKEN.match(t) and t != platform_user]
    skipped = [t for t in dict.fromkeys(tokens) if not _SAFE_TOKEN.match(t)]

    passwd_lines = [f"{platform_user}:{mosquitto_hash(password)}"]
    acl_lines = [
        "# digipark: written by `digipark mqtt acl`; devices publish only to their own topic.",
        f"user {platform_user}",
        *(f"topic read {topic}" for topic in PLATFORM_TOPICS),
        "",
    ]
    for token in usable:
        passwd_lines.append(f"{token}:{mosquitto_hash(token)}")
        acl_lines.append(f"user {token}")
        acl_lines.extend(f"topic write {topic}" for topic in device_publish_topics(token, gateway=token in gateways))
        acl_lines.append(f"topic read {device_downlink_filter(token)}")
        acl_lines.append("")

    out_dir.mkdir(parents=True, exist_ok=True)
    passwd_path, acl_path = out_dir / PASSWORD_FILE, out_dir / ACL_FILE
    for path, lines in ((passwd_path, passwd_lines), (acl_path, acl_lines)):
        tmp = path.with_suffix(path.suffix + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
        os.replace(tmp, path)
    return AclResult(passwd_path, acl_path, len(usable), platform_user, password, skipped)
