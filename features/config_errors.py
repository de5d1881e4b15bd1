"""Configuration and settings errors in one line, however many keys are wrong.

The training config, the limit policy, the portfolio settings and the API settings are pydantic models;
each names a bad key as `key.sub: what is wrong`, joined by "; ". A rule across keys has no key: it is
said as it stands, or under `whole` (the thing the rule is about) when the caller names one.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

Settings = TypeVar("Settings", bound=BaseModel)


def validation_problems(exc: ValidationError, whole: str = "") -> str:
    """Return every problem of `exc` in one line: `key: message`, pydantic's "Value error, " left out."""

    def one(error) -> str:
        message = error["msg"].removeprefix("Value error, ")
        where = ".".join(map(str, error["loc"])) or whole
        return f"{where}: {message}" if where else message

    return "; ".join(one(e) for e in exc.errors())


def read_settings(path: Path, model: type[Settings], error: type[Exception], whole: str = "") -> Settings:
    """Return the TOML file `path` validated as `model`; raise `error` in one line naming the file and every problem."""
    try:
        return model.model_validate(tomllib.loads(Path(path).read_text()))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise error(f"{path}: {exc}") from exc
    except ValidationError as exc:
        raise error(f"{path}: {validation_problems(exc, whole=whole)}") from exc
