"""SMS of alarms through a provider interface (`SmsProvider.send(phone, params)`); one real provider's API format:
Aliyun (阿里云) Short Message Service `SendSms` (API version 2017-05-25), an RPC-style GET signed with Alibaba
Cloud's signature method V1:

1. every parameter except `Signature` (common ones: AccessKeyId, Action, Format, RegionId, SignatureMethod=HMAC-SHA1,
   SignatureNonce, SignatureVersion=1.0, Timestamp in ISO 8601 UTC, Version) is percent-encoded (RFC 3986: only
   A-Z a-z 0-9 - _ . ~ unencoded; space is %20, * is %2A, ~ stays), sorted by name and joined `k=v&…`;
2. StringToSign = `GET&%2F&` + percentEncode(that canonical query string);
3. Signature = Base64(HMAC-SHA1(key = AccessKeySecret + "&", StringToSign)), sent as the `Signature` parameter.

The answer is JSON with `Code` ("OK" = accepted), `Message`, `BizId`, `RequestId`; anything else is a failure."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import urllib.parse
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import httpx

from digipark.core.config import get_settings


class SmsProvider(Protocol):
    def send(self, phone: str, params: Mapping[str, str]) -> str:
        """Send the template with these parameters to one mobile number; the provider's message id, or raise."""
        ...


def percent_encode(value: str) -> str:
    return urllib.parse.quote(value, safe="-_.~")


def aliyun_signature(params: Mapping[str, str], secret: str, method: str = "GET") -> str:
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))
    string_to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunSms:
    """Aliyun SMS `SendSms`."""

    def __init__(
        self,
        *,
        endpoint: str,
        access_key_id: str,
        access_key_secret: str,
        sign_name: str,
        template_code: str,
        region: str = "cn-hangzhou",
        timeout: float = 10.0,
        get: Callable[..., Any] = httpx.get,
    ) -> None:
        self.endpoint, self.key_id, self.secret = endpoint, access_key_id, access_key_secret
        self.sign_name, self.template, self.region, self.timeout, self._get = (
            sign_name,
            template_code,
            region,
            timeout,
            get,
        )

    def request_params(
        self, phone: str, params: Mapping[str, str], *, now: dt.datetime | None = None
    ) -> dict[str, str]:
        """The signed query parameters of one SendSms call."""
        now = now or dt.datetime.now(dt.UTC)
        query = {
            "AccessKeyId": self.key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": phone,
            "RegionId": self.region,
            "SignName": self.sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": self.template,
            "TemplateParam": json.dumps(dict(params), ensure_ascii=False, separators=(",", ":")),
            "Timestamp": now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }
        query["Signature"] = aliyun_signature(query, self.secret)
        return query

    def send(self, phone: str, params: Mapping[str, str]) -> str:
        query = self.request_params(phone, params)
        url = self.endpoint + "?" + "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in query.items())
        response = self._get(url, timeout=self.timeout)
        answer = response.json()
        if not isinstance(answer, dict) or answer.get("Code") != "OK":
            code = answer.get("Code") if isinstance(answer, dict) else response.status_code
            message = answer.get("Message", "") if isinstance(answer, dict) else ""
            raise RuntimeError(f"aliyun SMS answered {code}: {message}"[:300])
        return str(answer.get("BizId", ""))


def configured_provider() -> SmsProvider | None:
    """The provider the settings name (DIGIPARK_SMS_*), or None when SMS is not set up."""
    s = get_settings()
    if s.sms_provider != "aliyun" or not (s.sms_access_key_id and s.sms_access_key_secret and s.sms_template_code):
        return None
    return AliyunSms(
        endpoint=s.sms_endpoint,
        access_key_id=s.sms_access_key_id,
        access_key_secret=s.sms_access_key_secret,
        sign_name=s.sms_sign_name,
        template_code=s.sms_template_code,
        region=s.sms_region,
        timeout=s.alarms_notify_timeout_s,
    )
