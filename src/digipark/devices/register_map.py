"""A Modbus register map as data (`data/modbus_maps.yaml`, or a device profile's own): per register the point key,
address, table, type, scale and word/byte order; per command the register written and the value."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SIZES = {"int16": 1, "uint16": 1, "int32": 2, "uint32": 2, "float32": 2, "int64": 4, "uint64": 4, "float64": 4}
FORMATS = {
    "int16": ">h",
    "uint16": ">H",
    "int32": ">i",
    "uint32": ">I",
    "float32": ">f",
    "int64": ">q",
    "uint64": ">Q",
    "float64": ">d",
}
RegisterType = Literal["int16", "uint16", "int32", "uint32", "float32", "int64", "uint64", "float64"]
Order = Literal["big", "little"]


class Register(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=40)
    address: int = Field(ge=0, le=65535)
    table: Literal["holding", "input"] = "holding"
    type: RegisterType = "uint16"
    scale: float = 1.0
    word_order: Order = "big"
    byte_order: Order = "big"


class Write(BaseModel):
    model_config = ConfigDict(extra="forbid")

    address: int = Field(ge=0, le=65535)
    value: int | None = None
    param: str | None = None
    scale: float = 1.0


class RegisterMap(BaseModel):
    name: str
    kind: str
    registers: list[Register]
    commands: dict[str, Write] = {}
