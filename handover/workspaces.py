"""The workspaces a deployment serves, and their secrets.

Each workspace is a YAML file validated by `escalation.policy`. Secrets are looked up by
the NAME the workspace file gives (`platforms.zendesk.webhook_secret: ACME_ZD_SECRET`):
first in the environment, then in the optional secrets file. Values are never logged,
and `Secret.__repr__` hides them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from escalation.policy import ConfigInvalid, Policy, load_policy
from escalation.policy_platforms import PlatformSettings


class UnknownWorkspace(LookupError):
    """No workspace of that name is served (answered 404 without listing the others)."""


class SecretMissing(LookupError):
    """A secret named by a workspace is in neither the environment nor the secrets file."""


@dataclass(frozen=True)
class Secret:
    """A secret value that does not print itself."""

    name: str
    value: str

    def __repr__(self) -> str:
        return f"Secret({self.name}=***)"

    __str__ = __repr__


class Workspaces:
    """Every served workspace's policy by name, plus the secret resolver."""

    def __init__(self, policies: Mapping[str, Policy], secrets: Mapping[str, str]) -> None:
        self._policies = dict(policies)
        self._secrets = dict(secrets)

    @classmethod
    def load(cls, path: Path, secrets_file: Path | None = None) -> Workspaces:
        """Load one workspace file or every `*.yaml` in a folder; raise `ConfigInvalid`."""
        files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
        problems: list[str] = []
        policies: dict[str, Policy] = {}
        for file in files:
            try:
                policy = load_policy(file)
            except ConfigInvalid as exc:
                problems += exc.problems
                continue
            if policy.name in policies:
                problems.append(f"{file}: workspace: '{policy.name}' is defined twice")
            policies[policy.name] = policy
        if problems:
            raise ConfigInvalid(problems)
        return cls(policies, _read_secrets_file(secrets_file))

    def names(self) -> list[str]:
        """The served workspaces' names."""
        return sorted(self._policies)

    def policy(self, name: str) -> Policy:
        """A workspace's policy; `UnknownWorkspace` otherwise."""
        try:
            return self._policies[name]
        except KeyError:
            raise UnknownWorkspace(name) from None

    def platform(self, name: str, platform: str) -> PlatformSettings:
        """A workspace's settings for one platform; `UnknownWorkspace` when it has none."""
        settings: PlatformSettings | None = getattr(
            self.policy(name).model.platforms, platform, None
        )
        if settings is None:
            raise UnknownWorkspace(f"{name}/{platform}")
        return settings

    def required_secrets(self) -> dict[str, str]:
        """Every secret NAME the served workspaces need, with the key that names it.

        Webhook secrets always; platform API credentials unless the workspace runs in
        `handover.dry_run` (the state API token is optional: without it the API says 401).
        """
        needed: dict[str, str] = {}
        for name in self.names():
            model = self.policy(name).model
            for platform in ("zendesk", "intercom", "slack"):
                settings = getattr(model.platforms, platform)
                if settings is None:
                    continue
                where = f"{name}: platforms.{platform}"
                needed[settings.webhook_secret] = f"{where}.webhook_secret"
                if not model.handover.dry_run:
                    for key, secret_name in settings.api_secrets():
                        needed[secret_name] = f"{where}.{key}"
        return needed

    def missing_secrets(self) -> list[str]:
        """`NAME (where)` for each required secret that is set nowhere."""
        return [
            f"{secret} ({where})"
            for secret, where in self.required_secrets().items()
            if not (os.environ.get(secret) or self._secrets.get(secret))
        ]

    def secret(self, secret_name: str) -> Secret:
        """Resolve a secret by name: the environment first, then the secrets file."""
        value = os.environ.get(secret_name) or self._secrets.get(secret_name)
        if not value:
            raise SecretMissing(f"secret {secret_name} is not set (environment or secrets file)")
        return Secret(secret_name, value)


def _read_secrets_file(path: Path | None) -> dict[str, str]:
    if path is None:
        return {}
    text = path.read_text(encoding="utf-8")
    data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ConfigInvalid([f"{path}: the secrets file must map secret names to values"])
    return {str(key): str(value) for key, value in data.items()}
