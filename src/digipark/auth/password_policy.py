"""Which new passwords are accepted: long enough, and not guessable by zxcvbn's estimate (Dropbox's estimator, with
its frequency lists of common passwords, names and words, keyboard patterns, repeats, sequences and dates)."""

from __future__ import annotations

from collections.abc import Iterable

from zxcvbn import zxcvbn

from digipark.auth.config import get_auth_settings
from digipark.core.errors import field_error

# zxcvbn's running time grows with the length it analyses; beyond this many characters a password is strong anyway
ESTIMATED_PREFIX = 100


def check_password(password: str, *, field: str = "password", personal: Iterable[str | None] = ()) -> None:
    """Raise a 422 field error when `password` is too short or too guessable; `personal` are words of the account
    (username, name, e-mail) that count as guessable."""
    settings = get_auth_settings()
    if len(password) < settings.password_min_length:
        raise field_error(field, f"must be at least {settings.password_min_length} characters", code="too_short")
    words = [word for word in personal if word]
    estimate = zxcvbn(password[:ESTIMATED_PREFIX], user_inputs=words)
    if estimate["score"] < settings.password_min_score:
        warning = estimate["feedback"].get("warning") or "too easy to guess"
        raise field_error(field, f"too easy to guess: {warning}", code="too_weak")
