"""Preflight for roster entries: can this model run here, and if not, what fixes it.

Every entry is checked in parallel with a short bound (about 1 s), and one entry's
failure never blocks or spoils another's. Cloud providers are never called: a key in the
environment is enough (a real request would cost money and time). Ollama is asked what it
has pulled and what each model can do; an OpenAI-compatible ``base_url`` gets one quick
``GET /models``; on-device models ask :mod:`nanotui.providers.local.llama`.
"""

from __future__ import annotations

import asyncio
import importlib
import os
from dataclasses import asdict, dataclass
from typing import Any

from nanotui.engine.errors import ConfigError
from nanotui.engine.roster.spec import ModelSpec
from nanotui.engine.secrets import redact

CHECK_TIMEOUT_S = 1.0

READY = "ready"
PRICE_UNKNOWN = "price unknown"  # a warning: the model runs, its cost shows as unknown
MISSING_KEY = "missing key"
NOT_REACHABLE = "not reachable"
NOT_PULLED = "not pulled"
NO_TOOLS = "no tool support"
KEY_REJECTED = "key rejected"
NOT_SET_UP = "not set up"
BAD_OPTION = "bad option"
CHECK_FAILED = "check failed"
RUNNABLE = frozenset({READY, PRICE_UNKNOWN})


@dataclass(frozen=True)
class Readiness:
    """One roster entry's preflight result, for ``nanotui models`` and the TUI picker."""

    name: str  # roster name
    spec: str  # provider:model
    display_name: str
    ready: bool  # can be run now (a price-unknown entry can)
    state: str  # one of the state constants above
    detail: str  # one line: what was found
    action: str | None = None  # one line: what to do about it
    price_in: float | None = None  # USD per million input tokens; None = unknown
    price_out: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Finding:
    state: str
    detail: str
    action: str | None = None


async def check_all(specs: list[ModelSpec], *, timeout_s: float = CHECK_TIMEOUT_S) -> list[Readiness]:
    """Readiness of every spec, in the order given; takes about ``timeout_s`` at most."""
    probe = _Probe(timeout_s)
    try:
        return list(await asyncio.gather(*(_check_one(spec, probe) for spec in specs)))
    finally:
        await probe.aclose()


def check_all_sync(specs: list[ModelSpec], *, timeout_s: float = CHECK_TIMEOUT_S) -> list[Readiness]:
    return asyncio.run(check_all(specs, timeout_s=timeout_s))


async def _check_one(spec: ModelSpec, probe: _Probe) -> Readiness:
    price_in = price_out = None
    try:
        from nanotui.engine.roster.pricing import known_price

        price = known_price(spec.provider, spec.model, spec.price_as)
        if price is not None:
            price_in, price_out = price.input_mtok, price.output_mtok
    except Exception:  # a broken price lookup is "unknown", never a crash
        price = None
    try:
        # A little slack over the per-request bound so the probe's own timeout wins.
        async with asyncio.timeout(probe.timeout_s + 0.25):
            found = await _check(spec, probe)
    except TimeoutError:
        found = _Finding(CHECK_FAILED, f"no answer within {probe.timeout_s:g} s")
    except Exception as exc:
        found = _Finding(CHECK_FAILED, redact(f"{type(exc).__name__}: {exc}"))
    if found.state == READY and price is None:
        lookup = spec.price_as or spec.spec
        found = _Finding(
            PRICE_UNKNOWN,
            f"{found.detail}; no price for {lookup} in genai-prices (cost shows as ?)",
            'runs as is; set price_as = "provider:model" if it is a known model under another name',
        )
    return Readiness(
        name=spec.name,
        spec=spec.spec,
        display_name=spec.display_name,
        ready=found.state in RUNNABLE,
        state=found.state,
        detail=found.detail,
        action=found.action,
        price_in=price_in,
        price_out=price_out,
    )


async def _check(spec: ModelSpec, probe: _Probe) -> _Finding:
    if spec.provider == "local":
        return await _check_local(spec)
    env = spec.key_env
    if env is not None and not os.environ.get(env):
        return _Finding(MISSING_KEY, f"{env} is not set", f"export {env}=<your {_vendor(spec)} key>")
    bad = _bad_option(spec)
    if bad is not None:
        return bad
    if spec.provider == "ollama":
        return await _check_ollama(spec, probe)
    if spec.base_url:
        return await _check_endpoint(spec, probe)
    return _Finding(READY, f"{env} is set" if env else "ready")


def _vendor(spec: ModelSpec) -> str:
    return {"openai": "OpenAI", "anthropic": "Anthropic"}.get(spec.provider, spec.name)


def _bad_option(spec: ModelSpec) -> _Finding | None:
    """The protocol module's own option checks (they import no SDK)."""
    module = importlib.import_module(f"nanotui.providers.{spec.protocol}")
    check = getattr(module, "check_ready_to_run", None)
    if check is None:
        return None
    try:
        check(spec)
    except ConfigError as exc:
        return _Finding(BAD_OPTION, str(exc), "fix the roster entry")
    return None


# -- Ollama -----------------------------------------------------------------------------


async def _check_ollama(spec: ModelSpec, probe: _Probe) -> _Finding:
    from nanotui.providers.ollama_chat import host_for

    host = host_for(spec)
    # Shielded: one entry timing out must not cancel the listing other entries wait on.
    tags = await asyncio.shield(probe.ollama_tags(spec.base_url))
    if isinstance(tags, _Finding):
        return tags
    wanted = spec.model if ":" in spec.model else f"{spec.model}:latest"
    if wanted not in tags:
        return _Finding(NOT_PULLED, f"{spec.model} is not pulled at {host}", f"`ollama pull {spec.model}`")
    caps = await probe.ollama_capabilities(spec.base_url, spec.model)
    if caps and "tools" not in caps:
        return _Finding(NO_TOOLS, f"{spec.model} cannot call tools (capabilities: {', '.join(caps)})",
                        "pick a model whose `ollama show` lists tools")
    return _Finding(READY, f"pulled at {host}")


# -- OpenAI-compatible endpoints ------------------------------------------------------------


async def _check_endpoint(spec: ModelSpec, probe: _Probe) -> _Finding:
    import httpx

    assert spec.base_url is not None  # only entries with a base_url come here
    url = spec.base_url.rstrip("/") + "/models"
    headers = {}
    if spec.api_key_env and os.environ.get(spec.api_key_env):
        headers["authorization"] = f"Bearer {os.environ[spec.api_key_env]}"
    try:
        response = await probe.http().get(url, headers=headers)
    except httpx.HTTPError as exc:
        return _Finding(NOT_REACHABLE, redact(f"{spec.base_url} did not answer ({type(exc).__name__})"),
                        "start the server or fix base_url in the roster")
    if response.status_code in (401, 403):
        env = spec.api_key_env or "api_key_env"
        return _Finding(KEY_REJECTED, f"{spec.base_url} refused the key (HTTP {response.status_code})",
                        f"check {env}")
    return _Finding(READY, f"{spec.base_url} answers")


# -- on-device -----------------------------------------------------------------------------


async def _check_local(spec: ModelSpec) -> _Finding:
    try:
        module = importlib.import_module("nanotui.providers.local.llama")
    except ImportError:
        return _Finding(NOT_SET_UP, "this nanotui has no on-device provider")
    readiness = getattr(module, "readiness", None)
    if readiness is None:
        return _Finding(READY, "on-device")
    # The check looks at files and installed packages: keep it off the event loop.
    result = await asyncio.to_thread(readiness, spec)
    if result is None:
        return _Finding(READY, "on-device")
    ready, detail, action = result
    return _Finding(READY if ready else NOT_SET_UP, detail, action)


# -- shared connections ---------------------------------------------------------------------


class _Probe:
    """Clients and answers shared by every entry of one check (one ``/api/tags`` per host)."""

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self._http: Any = None
        self._ollama: dict[str | None, Any] = {}
        self._tags: dict[str | None, asyncio.Task[set[str] | _Finding]] = {}

    def http(self):  # -> httpx.AsyncClient
        import httpx

        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self.timeout_s)
        return self._http

    def _ollama_client(self, base_url: str | None):
        if base_url not in self._ollama:
            import ollama

            # host=None: the SDK reads OLLAMA_HOST itself, exactly as the provider does.
            self._ollama[base_url] = ollama.AsyncClient(host=base_url, timeout=self.timeout_s)
        return self._ollama[base_url]

    def ollama_tags(self, base_url: str | None) -> asyncio.Task[set[str] | _Finding]:
        if base_url not in self._tags:
            self._tags[base_url] = asyncio.ensure_future(self._list(base_url))
        return self._tags[base_url]

    async def _list(self, base_url: str | None) -> set[str] | _Finding:
        import httpx

        from nanotui.providers.ollama_chat import host_for

        host = host_for(ModelSpec("", "ollama", "", "", base_url=base_url))
        try:
            listing = await self._ollama_client(base_url).list()
        except (ConnectionError, httpx.HTTPError) as exc:
            why = "no answer" if isinstance(exc, httpx.TimeoutException) else "connection refused"
            return _Finding(NOT_REACHABLE, f"Ollama not reachable at {host} ({why})",
                            "start it with `ollama serve` (or set OLLAMA_HOST)")
        except Exception as exc:
            return _Finding(CHECK_FAILED, redact(f"Ollama at {host}: {type(exc).__name__}: {exc}"))
        return {m.model for m in listing.models if m.model}

    async def ollama_capabilities(self, base_url: str | None, model: str) -> list[str]:
        """The model's capabilities, or ``[]`` when this Ollama does not report them."""
        try:
            shown = await self._ollama_client(base_url).show(model)
        except Exception:
            return []
        return list(shown.capabilities or [])

    async def aclose(self) -> None:
        for task in self._tags.values():
            task.cancel()
        for client in self._ollama.values():
            try:
                await client.close()
            except Exception:
                pass
        if self._http is not None:
            try:
                await self._http.aclose()
            except Exception:
                pass
