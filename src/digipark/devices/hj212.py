"""HJ 212-2017 frames: CRC, splitting a TCP stream into frames, reading a data segment and turning its CP into
readings; building the platform's answers. Facts of the standard live in `data/hj212.yaml` with their sources.

A frame is `##` + 4-digit data length + data segment + 4 hex digits of CRC + CR LF; the data segment is
`QN=…;ST=…;CN=…;PW=…;MN=…;Flag=…;[PNUM=…;PNO=…;]CP=&&…&&`, the CP holds `DataTime=yyyyMMddHHmmss` and
per pollutant code `code-Rtd=…,code-Flag=N` (2011) or `code-Avg=…,code-Min=…,code-Max=…,code-Flag=N`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import sys
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


@dataclasses.dataclass(frozen=True, slots=True)
class _Crc:
    """HJ 212's CRC as tables. Per byte the register becomes `table[(reg >> 8) ^ byte]`: only its high byte `h`
    carries on, so the state between bytes is one byte, `h = high[h ^ byte]`, and two bytes at once are one
    lookup in a 65,536-entry table indexed by the two bytes read as a native 16-bit word XOR h (`pair`)."""

    init_high: int
    table: tuple[int, ...]
    high: bytes
    pair: bytes
    little: bool


@cache
def _crc() -> _Crc:
    table = _crc_table()
    high = bytes(value >> 8 for value in table)
    little = sys.byteorder == "little"
    pair = bytearray(65536)
    for word in range(65536):
        first, second = (word & 0xFF, word >> 8) if little else (word >> 8, word & 0xFF)
        pair[word] = high[high[first] ^ second]
    return _Crc(int(facts()["crc"]["init"]) >> 8, tuple(table), high, bytes(pair), little)


def crc16(data: bytes) -> int:
    """HJ 212's CRC16 of a data segment (see data/hj212.yaml: crc): `reg = table[(reg >> 8) ^ byte]` per byte from
    0xFFFF; the bytes before the last go two at a time through `_Crc.pair`."""
    crc = _crc()
    size = len(data)
    if not size:
        return int(facts()["crc"]["init"])
    h = crc.init_high
    start = 0
    if (size - 1) & 1:
        h = crc.high[h ^ data[0]]
        start = 1
    pair = crc.pair
    if crc.little:
        for word in memoryview(data)[start : size - 1].cast("H"):
            h = pair[word ^ h]
    else:
        for word in memoryview(data)[start : size - 1].cast("H"):
            h = pair[word ^ (h << 8)]
    return crc.table[h ^ data[size - 1]]


class FrameError(ValueError):
    """A frame that cannot be read: `frame` holds what was received."""

    def __init__(self, detail: str, frame: bytes) -> None:
        super().__init__(detail)
        self.detail = detail
        self.frame = frame


@cache
def _frame_facts() -> tuple[int, int, int]:
    frame = facts()["frame"]
    return int(frame["length_digits"]), int(frame["max_data_length"]), int(frame["crc_hex_digits"])


def split_frames(buffer: bytearray) -> tuple[list[bytes | FrameError], int]:
    """The complete frames at the start of `buffer` (data segments, or FrameErrors) and how many bytes they used."""
    out: list[bytes | FrameError] = []
    append = out.append
    digits, max_len, crc_digits = _frame_facts()
    pos = 0
    size = len(buffer)
    find = buffer.find
    while True:
        start = find(b"##", pos)
        if start < 0:
            junk = bytes(buffer[pos:size]).strip()
            if len(junk) > max_len:  # garbage without a header: drop it, keep a record
                append(FrameError("no ## header", junk))
            if not junk or len(junk) > max_len:
                pos = size
            return out, pos
        if start > pos and bytes(buffer[pos:start]).strip():
            append(FrameError("bytes before the ## header", bytes(buffer[pos:start])))
        head = start + 2 + digits
        if size < head:
            return out, start
        raw_len = buffer[start + 2 : head]
        if not raw_len.isdigit() or int(raw_len) > max_len:
            append(FrameError(f"bad data length {bytes(raw_len)!r}", bytes(buffer[start:head])))
            pos = start + 2
            continue
        tail = head + int(raw_len)
        end = tail + crc_digits + 2
        if size < end:
            return out, start
        pos = end
        if buffer[end - 2] != 13 or buffer[end - 1] != 10:
            append(FrameError("the frame does not end with CR LF where its length says", bytes(buffer[start:end])))
            continue
        data = bytes(buffer[head:tail])
        try:
            received = int(buffer[tail : end - 2], 16)
        except ValueError:
            crc_text = bytes(buffer[tail : end - 2])
            append(FrameError(f"CRC {crc_text!r} is not hexadecimal", bytes(buffer[start:end])))
            continue
        expected = crc16(data)
        if received != expected:
            crc_text = bytes(buffer[tail : end - 2])
            detail = f"bad CRC: {crc_text.decode('ascii', 'replace')}, computed {expected:04X}"
            append(FrameError(detail, bytes(buffer[start:end])))
            continue
        append(data)


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


_HEAD = re.compile(r"(?:QN=([^;=]*);)?ST=([^;=]*);CN=([^;=]*);PW=([^;=]*);MN=([^;=]*);(?:Flag=(\d+);)?CP=&&")


def parse_segment(data: bytes) -> Segment:
    """The header fields of a data segment and its CP text (FrameError when a required field is missing)."""
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        text = data.decode("gbk", errors="replace")
    quick = _HEAD.match(text)  # the fields in the standard's order, without sub-packets: one regex
    if quick is not None and text.endswith("&&", quick.end()):
        qn, st, cn, pw, mn, flag = quick.groups()
        return Segment(qn, st, cn, pw, mn, int(flag or 0), text[quick.end() : -2], data)
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


# `code-Field=value` items of a CP (separated by `;` and `,`); DataTime on its own
_ITEM = re.compile(r"([A-Za-z0-9]+)-([A-Za-z]+)=([^,;]*)")
_DATA_TIME = re.compile(r"(?:^|[;,])DataTime=([^,;]*)")


@cache
def _points_of(kind: str) -> dict[str, tuple[str, float]]:
    mapping: dict[str, Any] = facts()["points"].get(kind, {})
    return {code: (str(point["key"]), float(point.get("scale", 1))) for code, point in mapping.items()}


def readings_of(segment: Segment, kind: str) -> Values | None:
    """The values of a data upload (2011, 2051, 2061, 2031) for a device kind's points; None for another CN.
    Raises FrameError for a CP without a readable DataTime."""
    spec = facts()["commands"].get(segment.cn)
    if spec is None or "value_field" not in spec:
        return None
    field = str(spec["value_field"])
    cp = segment.cp
    found = _DATA_TIME.search(cp)
    if found is None:
        raise FrameError("no DataTime", segment.raw)
    try:
        ts = data_time_ms(found.group(1))
    except ValueError:
        raise FrameError(f"bad DataTime {found.group(1)!r}", segment.raw) from None
    numbers: dict[str, str] = {}
    flags: dict[str, str] = {}
    for code, suffix, value in _ITEM.findall(cp):
        if suffix == field:
            numbers[code] = value
        elif suffix == "Flag":
            flags[code] = value
    mapping = _points_of(kind)
    stored_flags = _stored_flags()
    out: dict[str, float] = {}
    flagged = 0
    unknown: list[str] = []
    for code, text in numbers.items():
        if flags.get(code, "N") not in stored_flags:
            flagged += 1
            continue
        point = mapping.get(code)
        if point is None:
            unknown.append(code)
            continue
        try:
            number = float(text)
        except ValueError:
            unknown.append(code)
            continue
        out[point[0]] = number * point[1] if point[1] != 1.0 else number
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


def cp_fields(cp: str) -> dict[str, str]:
    """The `key=value` items of a CP (separated by `;` and `,`), the first of each key."""
    out: dict[str, str] = {}
    for group in cp.split(";"):
        for item in group.split(","):
            key, eq, value = item.partition("=")
            if eq and key not in out:
                out[key] = value
    return out


def request_frame(*, qn: str, st: str, cn: str, pw: str, mn: str, cp: dict[str, str]) -> bytes:
    """A request of the platform to a data collector (answered by 9011 and 9012)."""
    body = ";".join(f"{key}={value}" for key, value in cp.items())
    return frame(f"QN={qn};ST={st};CN={cn};PW={pw};MN={mn};Flag={facts()['request_flag']};CP=&&{body}&&")


def local_time_text(moment: dt.datetime) -> str:
    """yyyyMMddHHmmss in the collector's local time (SystemTime, DataTime)."""
    return moment.astimezone(SHANGHAI).strftime("%Y%m%d%H%M%S")
