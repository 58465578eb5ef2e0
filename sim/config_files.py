"""Reading config files: TOML with a bound on nesting, and data paths taken relative to the
folder of the file that names them (the run file, the sweep file, a sweep's ``base_config``),
or to the current directory when a config is built in Python."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """A config file or field is invalid; the message is one line naming the field."""


MAX_TOML_DEPTH = 16
"""Deepest nesting of arrays and tables a config file may use; real configs need about 4."""


def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file; a missing, malformed or absurdly nested file raises ``ConfigError``."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file; check the path") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except RecursionError:
        raise ConfigError(
            f"{path}: arrays or tables nested too deeply; keep nesting under "
            f"{MAX_TOML_DEPTH} levels"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config file ({exc})") from None
    if (where := _too_deep(data, MAX_TOML_DEPTH)) is not None:
        raise ConfigError(
            f"{path}: {where or 'the file'} nests arrays or tables more than "
            f"{MAX_TOML_DEPTH} levels deep; flatten it"
        )
    return data


def _too_deep(value, levels_left: int, where: str = "") -> str | None:
    """The dotted key under which ``value`` nests deeper than ``levels_left``, else None."""
    if not isinstance(value, dict | list):
        return None
    if levels_left == 0:
        return where
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        inner = f"{where}[{key}]" if isinstance(key, int) else ".".join(filter(None, (where, key)))
        if (found := _too_deep(item, levels_left - 1, inner)) is not None:
            return found
    return None


def resolve_corpus_path(data: dict[str, Any], folder: str | Path) -> dict[str, Any]:
    """``data`` (a config table) with a relative ``corpus.path`` taken relative to ``folder``,
    the folder of the file that names it; anything else is left as it is."""
    corpus = data.get("corpus")
    if not isinstance(corpus, dict) or not isinstance(corpus.get("path"), str):
        return data
    return {**data, "corpus": {**corpus, "path": resolve_data_path(corpus["path"], folder)}}


def resolve_data_path(path: str, folder: str | Path) -> str:
    """``path`` (``~`` expanded) if absolute, else ``folder / path``."""
    expanded = Path(path).expanduser()
    return str(expanded if expanded.is_absolute() or not path.strip() else Path(folder) / path)
