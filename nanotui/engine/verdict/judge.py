"""One juror's call: a model grades the candidates it is shown, S (best) to F, blind.

The juror sees the task prompt, the rubric and, per candidate, its final answer, a compact
tool trace, the files it changed and its check results (see :mod:`request`). It answers by
calling ``submit_grades`` through the ordinary provider interface, so any model that can
call tools can judge. A reply that cannot be read is retried once; candidates still
without a readable grade are unscored, never F. Its usage and cost are its own and never
added to a candidate's. :mod:`jury` runs several jurors, each in both orders.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from nanotui.engine.agent.provider import Provider, ProviderRegistry, close_quietly
from nanotui.engine.agent.retry import RetryPolicy
from nanotui.engine.agent.stream import StreamReasoning, StreamText, StreamTurnEnd
from nanotui.engine.agent.transcript import UserMessage
from nanotui.engine.errors import NanotuiError, ProviderError
from nanotui.engine.results import AgentResult, RunResult
from nanotui.engine.roster.spec import ModelSpec
from nanotui.engine.secrets import redact
from nanotui.engine.usage import Usage
from nanotui.engine.verdict.reply import parse_reply
from nanotui.engine.verdict.request import JUDGE_SYSTEM_PROMPT, SUBMIT_GRADES, build_request

JUDGE_TIMEOUT_S = 300.0


@dataclass(frozen=True, slots=True)
class JudgeProgress:
    """For a UI: what a juror is doing now."""

    phase: str  # "asking" | "streaming" | "retrying" | "done"
    attempt: int
    output_chars: int = 0
    detail: str = ""
    juror: str = ""  # the juror's spec
    order: int = 1  # 1: the shuffled order, 2: its reverse


ProgressSink = Callable[[JudgeProgress], None]


@dataclass(slots=True)
class PassOutcome:
    """One pass of one juror: grades by agent id (with rationales), usage, and any error."""

    labels: dict[str, str]  # agent_id -> the label it had in this pass
    grades: dict[str, tuple[str, str]] = field(default_factory=dict)  # agent_id -> (grade, rationale)
    usage: Usage = field(default_factory=Usage)
    attempts: int = 0
    wall_s: float = 0.0
    error: str | None = None


class Judge:
    """One juror."""

    def __init__(
        self,
        model: ModelSpec,
        *,
        providers: ProviderRegistry,
        retry_policy: RetryPolicy = RetryPolicy(),
        timeout_s: float = JUDGE_TIMEOUT_S,
    ) -> None:
        self.model = model
        self.providers = providers
        self.retry_policy = retry_policy
        self.timeout_s = timeout_s

    @property
    def spec(self) -> str:
        return self.model.spec

    async def grade_pass(
        self,
        run: RunResult,
        order: list[AgentResult],
        rubric: str | None,
        progress: ProgressSink | None = None,
        pass_no: int = 1,
    ) -> PassOutcome:
        """Grade the candidates in ``order`` (labelled in that order). Never raises for a
        juror's failure: the outcome carries the error."""
        notify = progress or (lambda p: None)
        request, by_label = build_request(run, order, rubric)
        outcome = PassOutcome({agent_id: label for label, agent_id in by_label.items()})
        labels = set(by_label)
        problems: list[str] = []
        t0 = time.monotonic()
        provider: Provider | None = None
        try:
            provider = self.providers.create(self.model)
            async with asyncio.timeout(self.timeout_s):
                for attempt in (1, 2):
                    text = request
                    if attempt == 2:
                        notify(JudgeProgress("retrying", attempt, detail="; ".join(problems), juror=self.spec,
                                             order=pass_no))
                        text += (
                            "\n\n# Note\n\nYour previous reply could not be read ("
                            + "; ".join(problems)[:500]
                            + "). Call submit_grades once with an entry for every candidate label above."
                        )
                    end = await self._call(provider, text, attempt, notify, pass_no)
                    outcome.attempts = attempt
                    outcome.usage = outcome.usage + end.usage
                    got, problems = parse_reply(end.message, labels)
                    for label, (grade, rationale) in got.items():
                        outcome.grades[by_label[label]] = (grade, redact(rationale))
                    if len(outcome.grades) == len(labels):
                        break
        except TimeoutError:
            outcome.error = f"the judge did not answer within {self.timeout_s:g} s"
        except (ProviderError, NanotuiError) as exc:
            outcome.error = redact(str(exc))
        except Exception as exc:  # a judge bug must not lose the run's results
            outcome.error = redact(f"internal error: {type(exc).__name__}: {exc}")
        finally:
            await close_quietly(provider)
        outcome.wall_s = time.monotonic() - t0
        notify(JudgeProgress("done", outcome.attempts, juror=self.spec, order=pass_no))
        return outcome

    async def _call(self, provider: Provider, text: str, attempt: int, notify: ProgressSink,
                    pass_no: int) -> StreamTurnEnd:
        waited = 0.0
        try_no = 1
        while True:
            notify(JudgeProgress("asking", attempt, juror=self.spec, order=pass_no))
            chars = 0
            try:
                end: StreamTurnEnd | None = None
                async for ev in provider.stream_turn(JUDGE_SYSTEM_PROMPT, [UserMessage(text)], [SUBMIT_GRADES]):
                    if isinstance(ev, StreamText | StreamReasoning):
                        chars += len(ev.text)
                        notify(JudgeProgress("streaming", attempt, chars, juror=self.spec, order=pass_no))
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
