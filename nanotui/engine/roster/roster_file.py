"""The roster: named model entries, shipped (``nanotui/builtin/roster.toml``) and the user's
own (``roster.toml`` in the config folder), which override and extend the shipped ones."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from nanotui.engine.errors import ConfigError, did_you_mean
from nanotui.engine.files import DataFileError, loads_toml
from nanotui.engine.roster.spec import ENTRY_KEYS, OPTION_KEYS, PROVIDERS, ModelSpec, parse_spec
from nanotui.engine.secrets import register_secret_env


@dataclass
class Roster:
    entries: dict[str, ModelSpec]
    sources: list[str] = field(default_factory=list)

    def resolve(self, text: str) -> ModelSpec:
        """A roster entry by name, or a ``provider:model`` spec (picking up the options of
        a roster entry for the same model, if there is one)."""
        if text in self.entries:
            return self.entries[text]
        try:
            provider, model = parse_spec(text)
        except ConfigError as exc:
            hint = did_you_mean(text, [*self.entries, *(e.spec for e in self.entries.values())])
            if not hint:
                raise
            raise ConfigError(f"{exc}; {hint}") from None
        for entry in self.entries.values():
            if entry.provider == provider and (entry.model == model or entry.name == model):
                # "anthropic:claude-3-haiku" names the roster entry claude-3-haiku.
                return entry
        return ModelSpec(name=text, provider=provider, model=model, display_name=text)

    def suggest(self, spec: ModelSpec) -> str:
        """"did you mean …" for a ``provider:model`` no roster entry knows (``""`` otherwise)."""
        specs = [e.spec for e in self.entries.values()]
        if spec.spec in specs or spec.name in self.entries:
            return ""
        return did_you_mean(spec.spec, specs)


def _entry(name: str, raw: dict[str, Any], origin: str) -> ModelSpec:
    unknown = sorted(set(raw) - ENTRY_KEYS)
    if unknown:
        raise ConfigError(f"{origin}: models.{name}: unknown key(s) {', '.join(unknown)}")
    provider: str | None
    model: str | None
    if "spec" in raw:
        provider, model = parse_spec(str(raw["spec"]), f"{origin}: models.{name}.spec {raw['spec']!r}")
    else:
        provider = raw.get("provider")
        model = raw.get("model")
        if provider is None and raw.get("base_url"):
            provider = "openai-compat"
        if not provider or not model:
            raise ConfigError(f"{origin}: models.{name}: needs 'spec' or 'provider' and 'model'")
        if provider not in PROVIDERS:
            raise ConfigError(
                f"{origin}: models.{name}.provider: unknown provider {provider!r}; expected one of {', '.join(PROVIDERS)}"
            )
    if provider == "openai" and raw.get("base_url"):
        provider = "openai-compat"  # a base_url means an OpenAI-compatible Chat Completions server
    options = {k: v for k, v in raw.items() if k in OPTION_KEYS}
    if raw.get("api_key_env"):
        register_secret_env(str(raw["api_key_env"]))  # its value is masked wherever it appears
    return ModelSpec(
        name=name,
        provider=provider,
        model=str(model),
        display_name=str(raw.get("display_name") or name),
        base_url=raw.get("base_url"),
        api_key_env=raw.get("api_key_env"),
        price_as=raw.get("price_as"),
        options=options,
    )


def _load_toml(text: str, origin: str) -> dict[str, ModelSpec]:
    try:
        data = loads_toml(text)
    except DataFileError as exc:
        raise ConfigError(f"{origin}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{origin}: not valid TOML ({exc})") from None
    models = data.get("models", {})
    if not isinstance(models, dict):
        raise ConfigError(f"{origin}: 'models' must be a table of entries")
    out = {}
    for name, raw in models.items():
        if not isinstance(raw, dict):
            raise ConfigError(f"{origin}: models.{name} must be a table")
        out[name] = _entry(name, raw, origin)
    return out


def load_roster(user_file: Path | None = None) -> Roster:
    """The shipped roster, overridden and extended by the user's roster file."""
    from nanotui.engine.paths import config_dir

    builtin = resources.files("nanotui.builtin").joinpath("roster.toml").read_text("utf-8")
    entries = _load_toml(builtin, "built-in roster")
    sources = ["built-in"]
    path = user_file if user_file is not None else config_dir() / "roster.toml"
    if path.is_file():
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read roster ({exc})") from None
        entries.update(_load_toml(text, str(path)))
        sources.append(str(path))
    return Roster(entries, sources)
