"""Loading the data files shipped inside the `escalation` package (phrase tables, lexicons)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def load_lexicon(name: str) -> dict[str, Any]:
    """`escalation/lexicon/<name>.yaml` as a mapping (cached)."""
    return _load("lexicon", f"{name}.yaml")


@cache
def load_phrase_file(language: str) -> dict[str, Any]:
    """`escalation/phrases/<language>.yaml` as a mapping of family → patterns (cached)."""
    return _load("phrases", f"{language}.yaml")


def _load(folder: str, filename: str) -> dict[str, Any]:
    text = resources.files("escalation").joinpath(folder, filename).read_text(encoding="utf-8")
    data = yaml.load(text, Loader=_Loader)
    if not isinstance(data, dict):
        raise ValueError(f"escalation/{folder}/{filename}: must be a mapping")
    return data
