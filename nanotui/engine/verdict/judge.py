"""The judge: one model call that grades every candidate's performance S (best) to F.

The judge sees the task prompt, the task's rubric and, per candidate, its final answer, a
compact tool trace, the files it changed and its check results. Candidates are blinded
(labels such as "Candidate C"; their model names are scrubbed from what they wrote) and
shuffled with the run id as seed, so a re-judge sends the same request. The judge answers
by calling a ``submit_grades`` tool through the ordinary provider interface, so any model
that can call tools can judge (``--judge openai:gpt-5``). A reply that cannot be read is
retried once; candidates still without a readable grade are "unscored", never F. The
judge's usage and cost are its own and never added to a candidate's.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nanotui.engine.agent.provider import Provider, ProviderRegistry, close_quietly
from nanotui.engine.agent.retry import RetryPolicy
from nanotui.engine.agent.stream import StreamReasoning, StreamText, StreamTurnEnd
from nanotui.engine.agent.transcript import UserMessage
from nanotui.engine.clock import now_iso
from nanotui.engine.errors import ConfigError, NanotuiError, ProviderError
from nanotui.engine.results import RunResult
from nanotui.engine.roster.pricing import cost_usd
from nanotui.engine.roster.roster_file import Roster, load_roster
from nanotui.engine.roster.spec import ModelSpec
from nanotui.engine.secrets import redact
from nanotui.engine.usage import Usage
from nanotui.engine.verdict.reply import parse_reply
from nanotui.engine.verdict.request import JUDGE_SYSTEM_PROMPT, SUBMIT_GRADES, build_request

DEFAULT_JUDGE = "anthropic:claude-opus-4-1"
JUDGE_ENV = "NANOTUI_JUDGE"  # overrides the default judge; --judge overrides this
JUDGE_TIMEOUT_S = 300.0


@dataclass(slots=True)
class CandidateGrade:
    agent_id: str
    label: str  # "Candidate C"
    grade: str | None  # None: unscored
    rationale: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"agent_id": self.agent_id, "label": self.label, "grade": self.grade, "rationale": self.rationale}


@dataclass(slots=True)
class Verdict:
    """One judge call's outcome. ``status``: ``ok`` (all graded), ``partial`` (some
    unscored), ``unscored`` (none readable), ``error`` (the call failed; grades fall back
    to the checks)."""

    judge: str  # provider:model of the judge
    status: str
    candidates: dict[str, CandidateGrade]  # agent_id -> grade
    usage: Usage = field(default_factory=Usage)
    cost_usd: float | None = None
    attempts: int = 0
    wall_s: float = 0.0
    error: str | None = None
    seed: str = ""
    created_at: str = ""

    @property
    def usable(self) -> bool:
        return self.status != "error"

    def to_dict(self) -> dict[str, Any]:
        return {
            "judge": self.judge,
            "status": self.status,
            "candidates": {k: self.candidates[k].to_dict() for k in sorted(self.candidates)},
            "usage": self.usage.to_dict(),
            "cost_usd": self.cost_usd,
            "attempts": self.attempts,
            "wall_s": round(self.wall_s, 3),
            "error": self.error,
            "seed": self.seed,
            "created_at": self.created_at,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Verdict:
        return cls(
            judge=d["judge"],
            status=d["status"],
            candidates={k: CandidateGrade(**v) for k, v in d.get("candidates", {}).items()},
            usage=Usage.from_dict(d.get("usage", {})),
            cost_usd=d.get("cost_usd"),
            attempts=d.get("attempts", 0),
            wall_s=d.get("wall_s", 0.0),
            error=d.get("error"),
            seed=d.get("seed", ""),
            created_at=d.get("created_at", ""),
        )


@dataclass(frozen=True, slots=True)
class JudgeProgress:
    """For a UI: what the judge is doing now."""

    phase: str  # "asking" | "streaming" | "retrying" | "done"
    attempt: int
    output_chars: int = 0
    detail: str = ""


# -- choosing the judge ---------------------------------------------------------------------


def default_judge_spec() -> str:
    return os.environ.get(JUDGE_ENV) or DEFAULT_JUDGE


def resolve_judge(spec: str | None = None, roster: Roster | None = None) -> ModelSpec:
    text = spec or default_judge_spec()
    try:
        return (roster or load_roster()).resolve(text)
    except ConfigError as exc:
        raise ConfigError(str(exc).replace("--model", "--judge", 1)) from None


def missing_key(model: ModelSpec) -> str | None:
    """The environment variable the judge needs and lacks, if any."""
    env = model.key_env
    if env and not os.environ.get(env):
        return env
    return None


# -- the call ---------------------------------------------------------------------------------


class Judge:
    def __init__(
        self,
        spec: str | ModelSpec | None = None,
        *,
        providers: ProviderRegistry,
        roster: Roster | None = None,
        retry_policy: RetryPolicy = RetryPolicy(),
        timeout_s: float = JUDGE_TIMEOUT_S,
    ) -> None:
        self.model = spec if isinstance(spec, ModelSpec) else resolve_judge(spec, roster)
        self.providers = providers
        self.retry_policy = retry_policy
        self.timeout_s = timeout_s

    @property
    def spec(self) -> str:
        return self.model.spec

    async def grade(
        self,
        run: RunResult,
        rubric: str | None = None,
        progress: Callable[[JudgeProgress], None] | None = None,
    ) -> Verdict:
        """Grade every agent of ``run``. Never raises for a judge failure: the verdict says
        ``error`` and grading falls back to the checks."""
        notify = progress or (lambda p: None)
        if not run.agents:  # nothing to grade: no call, no cost
            return Verdict(self.model.spec, "ok", {}, seed=f"{run.run_id}:judge", created_at=now_iso())
        request, by_label = build_request(run, rubric)
        labels = set(by_label)
        usage = Usage()
        graded: dict[str, tuple[str, str]] = {}
        problems: list[str] = []
        attempts = 0
        error: str | None = None
        t0 = time.monotonic()
        provider = None
        try:
            provider = self.providers.create(self.model)
            async with asyncio.timeout(self.timeout_s):
                for attempt in (1, 2):
                    text = request
                    if attempt == 2:
                        notify(JudgeProgress("retrying", attempt, detail="; ".join(problems)))
                        text += (
                            "\n\n# Note\n\nYour previous reply could not be read ("
                            + "; ".join(problems)[:500]
                            + "). Call submit_grades once with an entry for every candidate label above."
                        )
                    end = await self._call(provider, text, attempt, notify)
                    attempts = attempt
                    usage = usage + end.usage
                    got, problems = parse_reply(end.message, labels)
                    graded.update(got)
                    if not (labels - set(graded)):
                        break
        except TimeoutError:
            error = f"the judge did not answer within {self.timeout_s:g} s"
        except ProviderError as exc:
            error = redact(str(exc))
        except NanotuiError as exc:
            error = redact(str(exc))
        except Exception as exc:  # a judge bug must not lose the run's results
            error = redact(f"internal error: {type(exc).__name__}: {exc}")
        finally:
            await close_quietly(provider)
        candidates = {}
        for label, agent_id in by_label.items():
            grade, rationale = graded.get(label, (None, ""))
            candidates[agent_id] = CandidateGrade(agent_id, label, grade, redact(rationale))
        if error is not None and not graded:
            status = "error"
        elif len(graded) == len(labels):
            status = "ok"
        elif graded:
            status = "partial"
        else:
            status = "unscored"
        cost = cost_usd(self.model.provider, self.model.model, usage, price_as=self.model.price_as)
        notify(JudgeProgress("done", attempts, detail=status))
        return Verdict(
            judge=self.model.spec,
            status=status,
            candidates=candidates,
            usage=usage,
            cost_usd=cost,
            attempts=attempts,
            wall_s=time.monotonic() - t0,
            error=error,
            seed=f"{run.run_id}:judge",
            created_at=now_iso(),
        )

    async def _call(
        self, provider: Provider, text: str, attempt: int, notify: Callable[[JudgeProgress], None]
    ) -> StreamTurnEnd:
        waited = 0.0
        try_no = 1
        while True:
            notify(JudgeProgress("asking", attempt))
            chars = 0
            try:
                end: StreamTurnEnd | None = None
                async for ev in provider.stream_turn(JUDGE_SYSTEM_PROMPT, [UserMessage(text)], [SUBMIT_GRADES]):
                    if isinstance(ev, StreamText | StreamReasoning):
                        chars += len(ev.text)
                        notify(JudgeProgress("streaming", attempt, chars))
                    elif isinstance(ev, StreamTurnEnd):
                        end = ev
                if end is None:
                    raise ProviderError("the judge's stream ended without a complete response", mid_stream=True)
                return end
            except ProviderError as exc:
                wait = self.retry_policy.delay(try_no, exc, waited)
                if wait is None:
                    raise
                await asyncio.sleep(wait)
                waited += wait
                try_no += 1


# -- for the runner and the TUI -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JudgeChoice:
    """The judge a run will use, or ``None`` with a one-line note saying why not."""

    model: ModelSpec | None
    note: str | None = None

    @property
    def spec(self) -> str | None:
        return self.model.spec if self.model is not None else None


def choose_judge(spec: str | None = None, disabled: bool = False, roster: Roster | None = None) -> JudgeChoice:
    """``--judge SPEC`` must work (its key missing is an error); the default judge
    (``NANOTUI_JUDGE`` or :data:`DEFAULT_JUDGE`) runs only when its key is set."""
    if disabled:
        return JudgeChoice(None, "judge off (--no-judge): performance from the task's checks alone, if it has any")
    model = resolve_judge(spec, roster)
    env = missing_key(model)
    if env is not None:
        if spec is not None:
            raise ConfigError(f"--judge {spec}: {env} is not set (or use --no-judge)")
        return JudgeChoice(
            None, f"no judge: {env} is not set for {model.spec}; performance from the task's checks alone, if it has any "
            "(--judge SPEC picks another judge)"
        )
    return JudgeChoice(model)
