"""API settings: one object, read from the environment (TRADECREDIT_*) when the app starts, never at import."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from model.registry import DEFAULT_MODEL_URI, LATE_MODEL_URI, model_uri_or_none


class ApiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRADECREDIT_", extra="ignore")

    ledger: str = Field(description="ledger source: CSV/Parquet folder, DuckDB file or postgresql:// URL")
    api_keys: Annotated[tuple[str, ...], NoDecode] = Field(description="accepted keys, comma-separated; never empty")
    # "none" leaves a model out: a ledger without credit events scores with the late-payment model alone.
    model_uri: str | None = DEFAULT_MODEL_URI
    late_model_uri: str | None = LATE_MODEL_URI
    tracking_uri: str | None = None
    limit_policy: Path | None = None
    audit_log: Path = Field(Path("audit/scores.jsonl"), description="made absolute once, from the start-up directory")
    default_as_of: dt.date | None = None  # GET without ?as_of=: this date, else the ledger's last date
    reference_date: dt.date | None = None  # bounds dates in the ledger (validation); default: today
    max_customers_per_request: int = 1000
    # The pages: who may sign in, where decisions are kept, the portfolio settings and the score history.
    users_file: Path = Field(Path("users.json"), description="made absolute once; `tradecredit users` manages it")
    decisions_log: Path | None = Field(None, description="append-only log of decisions; default: beside audit_log")
    portfolio_config: Path | None = None  # the portfolio report's settings (TOML), as `tradecredit portfolio --config`
    score_history: Path | None = Field(Path("score-history"), description="grades over time; 'none' for none")
    # Signs the session cookie. Unset: a random secret per process (every restart signs everyone out).
    session_secret: str | None = Field(None, min_length=32)
    secure_cookies: bool = Field(False, description="send the session cookie over HTTPS only (behind TLS)")

    @field_validator("model_uri", "late_model_uri")
    @classmethod
    def _none_leaves_out(cls, value):
        return model_uri_or_none(value)

    @field_validator("audit_log", "users_file", "decisions_log")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        return None if value is None else value.expanduser().resolve()

    @field_validator("score_history", mode="before")
    @classmethod
    def _history_none(cls, value):
        return None if isinstance(value, str) and value.lower() == "none" else value

    @model_validator(mode="after")
    def _one_model_at_least(self):
        if self.model_uri is None and self.late_model_uri is None:
            raise ValueError(
                "TRADECREDIT_MODEL_URI and TRADECREDIT_LATE_MODEL_URI are both none: no model to score with"
            )
        return self

    @field_validator("api_keys", mode="before")
    @classmethod
    def _split_keys(cls, value):
        keys = tuple(k.strip() for k in value.split(",")) if isinstance(value, str) else tuple(value)
        keys = tuple(k for k in keys if k)
        if not keys:
            raise ValueError("at least one API key is required (TRADECREDIT_API_KEYS); there is no default key")
        if any(len(k) < 16 for k in keys):
            raise ValueError("API keys must be at least 16 characters long")
        return keys
