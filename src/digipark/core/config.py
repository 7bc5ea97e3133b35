"""Settings from DIGIPARK_* environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DIGIPARK_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default_factory=lambda: f"sqlite:///{Path.cwd() / 'digipark.db'}",
        description="SQLAlchemy URL; postgresql://... uses psycopg 3",
    )
    mqtt_url: str | None = Field(default=None, description="external MQTT broker, mqtt://host:port")
    stream_url: str | None = Field(default=None, description="internal stream, nats://host:port")
    secret_key: str = Field(default="dev-insecure-change-me", description="signs CSRF tokens")
    cookie_secure: bool | None = Field(
        default=None, description="force the Secure cookie flag; default: secure when served over HTTPS"
    )
    session_hours: int = 12
    login_max_failures: int = 5
    login_lock_minutes: int = 15
    default_language: str = "zh"
    timezone: str = "Asia/Shanghai"
    vendor_dir: Path | None = Field(
        default=None, description="folder holding node_modules; default: found upward from the package"
    )
    argon2_time_cost: int = Field(default=3, ge=1, description="argon2id passes")
    argon2_memory_kib: int = Field(default=65536, ge=8, description="argon2id memory")
    offline_after_intervals: float = Field(
        default=3.0, gt=0, description="a point is offline after this many expected intervals without a reading"
    )
    log_json: bool = True
    log_level: str = "INFO"


@lru_cache
def get_settings() -> Settings:
    return Settings()


def normalise_database_url(url: str) -> str:
    """Accept plain postgresql:// URLs and route them to psycopg 3."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url
