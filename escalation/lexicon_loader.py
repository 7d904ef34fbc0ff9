"""Loading the data files shipped inside the `escalation` package (phrase tables, lexicons)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _WordLoader(_BaseLoader):  # type: ignore[valid-type, misc]
    """A safe loader for word lists: YAML 1.1 reads on/off/yes/no as booleans, we want words."""


_WordLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}


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
    data = yaml.load(text, Loader=_WordLoader)
    if not isinstance(data, dict):
        raise ValueError(f"escalation/{folder}/{filename}: must be a mapping")
    return data
