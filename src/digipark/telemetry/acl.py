"""Mosquitto files so that each device may publish only to its own topics: `digipark mqtt acl`.

Devices connect with their token as user name (and as password, or none) and may write only `digipark/v1/<its
token>/telemetry`, its events topic `digipark/v1/<its token>/events` (`telemetry.device_events`: a gate's pass or
plate, a vehicle's progress, a camera's alarm, read by the domains' consumers) and ThingsBoard's
`v1/devices/me/telemetry` (which the Mosquitto plugin `deploy/mosquitto/digipark_topics.c` moves to the former:
without the plugin the platform cannot tell who sent it); gateways (devices whose protocol is `gateway`, and those
named with `gateway_tokens`) may also write `v1/gateway/telemetry` (moved by the plugin to `digipark/v1/<its
token>/gateway/telemetry`, which they may write too); a device may read only its own downlink topics
`digipark/v1/<its token>/downlink/#`.

The platform keeps only the SHA-256 digests of device tokens, so the device rules are applied by the plugin: it
reads `digipark.devices` (one line per device: `<digest> device|gateway`), authenticates a client whose user
name hashes to a digest of the file and checks its topics against the user name it presented. The password and
ACL files hold only the platform's own user, which may read (subscribe to) the telemetry and events topics and
write the devices' downlink topics (answers to their events), and publish and read the platform's names of the
devices' commands, shared attributes and provisioning answers (`PLATFORM_COMMAND_WRITE`, `PLATFORM_COMMAND_READ`:
the plugin hands them to the one connected client they are for). The embedded
broker applies the same rules (`device_publish_topics`, `telemetry.broker_access`). The platform's password is
hashed the way `mosquitto_passwd` does since Mosquitto 2.0: `$7$<iterations>$<base64 salt>$<base64
PBKDF2-HMAC-SHA512>`, with 101 iterations and a 12-byte salt (its defaults). Use the files with

    plugin /usr/local/lib/digipark_topics.so
    plugin_opt_devices_file /etc/mosquitto/digipark.devices
    password_file /etc/mosquitto/digipark.passwd
    acl_file /etc/mosquitto/digipark.acl
    allow_anonymous false

and send Mosquitto SIGHUP after writing them again (the plugin reads the devices file again on reload).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.telemetry.device_events import DEVICE_EVENTS_FILTER, PLATFORM_DOWNLINK_WRITE, device_events_topic
from digipark.telemetry.mqtt import GATEWAY_TOPIC, PLATFORM_TOPICS, THINGSBOARD_TOPIC

PBKDF2_ITERATIONS = 101
SALT_BYTES = 12
PASSWORD_FILE = "digipark.passwd"
ACL_FILE = "digipark.acl"
DEVICES_FILE = "digipark.devices"
GATEWAY_PROTOCOL = "gateway"  # Device.protocol of a ThingsBoard-format gateway
DEVICE_DOWNLINK_PREFIX = "digipark/v1/{token}/downlink/"
# The platform's names of the devices' downlink and of their answers (devices/dispatcher.py): the dispatcher
# publishes the first and subscribes to the second; the embedded broker and the plugin move them to and from the
# names the devices know.
PLATFORM_COMMAND_WRITE = (
    "digipark/d/+/downlink/#",
    "digipark/d/+/rpc/request/+",
    "digipark/d/+/attributes",
    "digipark/d/+/attributes/response/+",
    "digipark/provision/+/response",
)
PLATFORM_COMMAND_READ = (
    "digipark/d/+/reply/+",
    "digipark/d/+/rpc/response/+",
    "digipark/d/+/attributes/request/+",
    "digipark/d/+/attributes/wanted",
    "digipark/provision/+/request",
)
# The platform's user name must be usable as a user name (no ':'), in a topic level (no '/', '+', '#') and as a word.
_SAFE_USER = re.compile(r"^[^\s:/+#\x00]{1,64}$")
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


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
    """The topics a device may publish to: its telemetry and its events (every device), a gateway's too."""
    own = (device_topic(token), device_events_topic(token), THINGSBOARD_TOPIC)
    return (*own, GATEWAY_TOPIC, gateway_topic(token)) if gateway else own


def device_downlink_filter(token: str) -> str:
    return DEVICE_DOWNLINK_PREFIX.format(token=token) + "#"


@dataclass
class AclResult:
    password_file: Path
    acl_file: Path
    devices_file: Path
    devices: int
    platform_user: str
    platform_password: str


def device_credentials(session: Session, *, park_id: int | None = None) -> list[tuple[str, bool]]:
    """(token digest, is a gateway) of every device that is not retired, optionally of one park."""
    from digipark.registry.models import Device, DeviceStatus

    query = select(Device.token_hash, Device.protocol).where(Device.status != DeviceStatus.RETIRED.value)
    if park_id is not None:
        query = query.where(Device.park_id == park_id)
    rows = session.execute(query.order_by(Device.id))
    return [(digest, protocol == GATEWAY_PROTOCOL) for digest, protocol in rows if digest]


def write_acl_files(
    out_dir: Path,
    device_digests: Sequence[str],
    *,
    platform_user: str = "digipark",
    platform_password: str | None = None,
    gateway_digests: Sequence[str] = (),
) -> AclResult:
    """Write `digipark.passwd`, `digipark.acl` and `digipark.devices` into out_dir (created if needed; files are
    mode 0600). `device_digests` and `gateway_digests` are token digests (`registry.device_tokens.token_digest`)."""
    if not _SAFE_USER.match(platform_user):
        raise ValueError(f"platform user {platform_user!r} cannot be an MQTT user name")
    bad = [d for d in [*device_digests, *gateway_digests] if not _DIGEST.match(d)]
    if bad:
        raise ValueError(f"not a token digest: {bad[0][:70]!r}")
    password = platform_password or secrets.token_urlsafe(18)
    gateways = set(gateway_digests)
    digests = list(dict.fromkeys([*device_digests, *gateway_digests]))

    passwd_lines = [f"{platform_user}:{mosquitto_hash(password)}"]
    acl_lines = [
        "# digipark: written by `digipark mqtt acl`; the plugin digipark_topics applies the devices' rules.",
        f"user {platform_user}",
        *(f"topic read {topic}" for topic in (*PLATFORM_TOPICS, DEVICE_EVENTS_FILTER, *PLATFORM_COMMAND_READ)),
        *(f"topic write {topic}" for topic in (PLATFORM_DOWNLINK_WRITE, *PLATFORM_COMMAND_WRITE)),
    ]
    device_lines = [
        "# digipark: SHA-256 digests of device tokens, written by `digipark mqtt acl`, read by digipark_topics.",
        *(f"{digest} {'gateway' if digest in gateways else 'device'}" for digest in digests),
    ]
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = (out_dir / PASSWORD_FILE, out_dir / ACL_FILE, out_dir / DEVICES_FILE)
    for path, lines in zip(paths, (passwd_lines, acl_lines, device_lines), strict=True):
        tmp = path.with_suffix(path.suffix + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
        os.replace(tmp, path)
    return AclResult(*paths, len(digests), platform_user, password)
