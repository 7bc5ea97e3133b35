"""Sending a report run: an e-mail with the files attached (SMTP, the server configured for the platform's
e-mails, `DIGIPARK_ALARMS_SMTP_*`) and a text to a chat robot (钉钉/企业微信/飞书, alarms' robots)."""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from email.message import EmailMessage

from digipark.alarms import provides as alarms
from digipark.core.config import get_settings

FileOut = tuple[bytes, str, str]


def send_email(addresses: Sequence[str], subject: str, text: str, files: Sequence[FileOut]) -> None:
    settings = get_settings()
    if not settings.alarms_smtp_host:
        raise RuntimeError("no SMTP server configured (DIGIPARK_ALARMS_SMTP_HOST)")
    message = EmailMessage()
    message["From"] = settings.alarms_smtp_from
    message["To"] = ", ".join(addresses)
    message["Subject"] = subject
    message.set_content(text)
    for content, media_type, filename in files:
        maintype, _, subtype = media_type.partition(";")[0].partition("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    with smtplib.SMTP(
        settings.alarms_smtp_host, settings.alarms_smtp_port, timeout=settings.alarms_notify_timeout_s
    ) as s:
        if settings.alarms_smtp_starttls:
            s.starttls()
        if settings.alarms_smtp_username:
            s.login(settings.alarms_smtp_username, settings.alarms_smtp_password or "")
        s.send_message(message)


def send_robot(channel: str, url: str, secret: str | None, text: str) -> None:
    alarms.send_robot(channel, url, text, secret, timeout=get_settings().alarms_notify_timeout_s)
