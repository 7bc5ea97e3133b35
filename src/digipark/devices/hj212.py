"""HJ 212-2017 frames: CRC, splitting a TCP stream into frames, reading a data segment and turning its CP into
readings; building the platform's answers. Facts of the standard live in `data/hj212.yaml` with their sources.

A frame is `##` + 4-digit data length + data segment + 4 hex digits of CRC + CR LF; the data segment is
`QN=…;ST=…;CN=…;PW=…;MN=…;Flag=…;[PNUM=…;PNO=…;]CP=&&…&&`, the CP holds `DataTime=yyyyMMddHHmmss` and
per pollutant code `code-Rtd=…,code-Flag=N` (2011) or `code-Avg=…,code-Min=…,code-Max=…,code-Flag=N`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from functools import cache, lru_cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

import yaml

SHANGHAI = ZoneInfo("Asia/Shanghai")  # DataTime and QN are local times of the data collector


@cache
def facts() -> dict[str, Any]:
    text = resources.files("digipark.devices").joinpath("data/hj212.yaml").read_text("utf-8")
    return dict(yaml.safe_load(text))


def _crc_table() -> list[int]:
    poly = int(facts()["crc"]["poly"])
    table = []
    for byte in range(256):
        reg = byte
        for _ in range(8):
            reg = (reg >> 1) ^ poly if reg & 1 else reg >> 1
        table.append(reg)
    return table


_TABLE: list[int] = []


def crc16(data: bytes) -> int:
    """HJ 212's CRC16 of a data segment (see data/hj212.yaml: crc). Per byte the register becomes
    `(reg >> 8) ^ byte` followed by 8 reflected rounds of the polynomial; that value is below 256, so the 8 rounds
    are one table lookup: `reg = table[(reg >> 8) ^ byte]`."""
    if not _TABLE:
        _TABLE.extend(_crc_table())
    table = _TABLE
    reg = _INIT[0] if _INIT else _init()
    for byte in data:
        reg = table[(reg >> 8) ^ byte]
    return reg


_INIT: list[int] = []


def _init() -> int:
    _INIT.append(int(facts()["crc"]["init"]))
    return _INIT[0]


class FrameError(ValueError):
    """A frame that cannot be read: `frame` holds what was received."""

    def __init__(self, detail: str, frame: bytes) -> None:
        super().__init__(detail)
        self.detail = detail
        self.frame = frame


def split_frames(buffer: bytearray) -> tuple[list[bytes | FrameError], int]:
    """The complete frames at the start of `buffer` (data segments, or FrameErrors) and how many bytes they used."""
    out: list[bytes | FrameError] = []
    frame = facts()["frame"]
    digits, max_len, crc_digits = (
        int(frame["length_digits"]),
        int(frame["max_data_length"]),
        int(frame["crc_hex_digits"]),
    )
    pos = 0
    size = len(buffer)
    while True:
        start = buffer.find(b"##", pos)
        if start < 0:
            junk = bytes(buffer[pos:size]).strip()
            if len(junk) > max_len:  # garbage without a header: drop it, keep a record
                out.append(FrameError("no ## header", junk))
            if not junk or len(junk) > max_len:
                pos = size
            return out, pos
        if start > pos and bytes(buffer[pos:start]).strip():
            out.append(FrameError("bytes before the ## header", bytes(buffer[pos:start])))
        head = start + 2 + digits
        if size < head:
            return out, start
        raw_len = bytes(buffer[start + 2 : head])
        if not raw_len.isdigit() or int(raw_len) > max_len:
            out.append(FrameError(f"bad data length {raw_len!r}", bytes(buffer[start:head])))
            pos = start + 2
            continue
        end = head + int(raw_len) + crc_digits + 2
        if size < end:
            return out, start
        data = bytes(buffer[head : head + int(raw_len)])
        crc_text = bytes(buffer[head + int(raw_len) : end - 2])
        whole = bytes(buffer[start:end])
        pos = end
        if buffer[end - 2 : end] != b"\r\n":
            out.append(FrameError("the frame does not end with CR LF where its length says", whole))
            continue
        try:
            received = int(crc_text, 16)
        except ValueError:
            out.append(FrameError(f"CRC {crc_text!r} is not hexadecimal", whole))
            continue
        expected = crc16(data)
        if received != expected:
            out.append(FrameError(f"bad CRC: {crc_text.decode('ascii', 'replace')}, computed {expected:04X}", whole))
            continue
        out.append(data)


@dataclasses.dataclass(slots=True)
class Segment:
    qn: str | None
    st: str
    cn: str
    pw: str
    mn: str
    flag: int
    cp: str
    raw: bytes

    @property
    def wants_answer(self) -> bool:
        return bool(self.flag & int(facts()["flag"]["answer_bit"]))


def parse_segment(data: bytes) -> Segment:
    """The header fields of a data segment and its CP text (FrameError when a required field is missing)."""
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        text = data.decode("gbk", errors="replace")
    head, sep, rest = text.partition("CP=&&")
    if not sep or not rest.endswith("&&"):
        raise FrameError("no CP=&&…&&", data)
    fields: dict[str, str] = {}
    for part in head.split(";"):
        key, eq, value = part.partition("=")
        if eq:
            fields[key] = value
    missing = [k for k in ("ST", "CN", "PW", "MN") if k not in fields]
    if missing:
        raise FrameError(f"missing {', '.join(missing)}", data)
    flag_text = fields.get("Flag", "0")
    if not flag_text.isdigit():
        raise FrameError(f"bad Flag {flag_text!r}", data)
    return Segment(
        fields.get("QN"), fields["ST"], fields["CN"], fields["PW"], fields["MN"], int(flag_text), rest[:-2], data
    )


@lru_cache(maxsize=4096)
def data_time_ms(text: str) -> int:
    """DataTime (yyyyMMddHHmmss, the collector's local time) as epoch ms (frames of one moment share it)."""
    if len(text) < 14 or not text[:14].isdigit():
        raise ValueError(text)
    moment = dt.datetime(
        int(text[0:4]),
        int(text[4:6]),
        int(text[6:8]),
        int(text[8:10]),
        int(text[10:12]),
        int(text[12:14]),
        tzinfo=SHANGHAI,
    )
    return int(moment.timestamp() * 1000)


@cache
def _stored_flags() -> frozenset[str]:
    return frozenset(facts()["stored_flags"])


@dataclasses.dataclass(slots=True)
class Values:
    ts: int
    values: dict[str, float]
    flagged: int  # values left out for their flag
    unknown: list[str]  # pollutant codes with no point


def readings_of(segment: Segment, kind: str) -> Values | None:
    """The values of a data upload (2011, 2051, 2061, 2031) for a device kind's points; None for another CN.
    Raises FrameError for a CP without a readable DataTime."""
    spec = facts()["commands"].get(segment.cn)
    if spec is None or "value_field" not in spec:
        return None
    field = str(spec["value_field"])
    mapping: dict[str, Any] = facts()["points"].get(kind, {})
    stored_flags = _stored_flags()
    ts: int | None = None
    raw: dict[str, dict[str, str]] = {}
    for group in segment.cp.split(";"):
        for item in group.split(","):
            key, eq, value = item.partition("=")
            if not eq:
                continue
            if key == "DataTime":
                try:
                    ts = data_time_ms(value)
                except ValueError:
                    raise FrameError(f"bad DataTime {value!r}", segment.raw) from None
                continue
            code, dash, suffix = key.partition("-")
            if dash:
                raw.setdefault(code, {})[suffix] = value
    if ts is None:
        raise FrameError("no DataTime", segment.raw)
    out: dict[str, float] = {}
    flagged = 0
    unknown: list[str] = []
    for code, parts in raw.items():
        if field not in parts:
            continue
        if parts.get("Flag", "N") not in stored_flags:
            flagged += 1
            continue
        point = mapping.get(code)
        if point is None:
            unknown.append(code)
            continue
        try:
            number = float(parts[field]) * float(point.get("scale", 1))
        except ValueError:
            unknown.append(code)
            continue
        out[str(point["key"])] = number
    return Values(ts, out, flagged, unknown)


def frame(data: str) -> bytes:
    """A whole frame around a data segment."""
    body = data.encode("ascii")
    return b"##%04d%s%04X\r\n" % (len(body), body, crc16(body))


def data_answer(segment: Segment) -> bytes:
    """The platform's 数据应答 (CN 9014) to an upload that asked for one (Flag bit A)."""
    reply = facts()
    qn = f"QN={segment.qn};" if segment.qn else ""
    return frame(
        f"{qn}ST={reply['system_reply_st']};CN=9014;PW={segment.pw};MN={segment.mn};"
        f"Flag={reply['flag']['reply_flag']};CP=&&&&"
    )
