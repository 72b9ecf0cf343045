"""The app's judges: one job per run, owned by the app (not by a screen) so that leaving the
arena or the results does not stop a judge that is already paid for.

A fresh run is judged as soon as it finishes (the arena asks); the results screen shows the
job's progress and its verdict, and ``j`` asks for a new one. The jury is the default one
(``NANOTUI_JUDGE`` or the shipped judge, only jurors whose key is set), the same as
``nanotui run`` without ``--judge``.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual.message import Message

from nanotui.engine.errors import NanotuiError
from nanotui.engine.numbers import usd
from nanotui.engine.secrets import redact

if TYPE_CHECKING:
    from nanotui.engine.history.store import RunStore
    from nanotui.engine.results import RunResult
    from nanotui.engine.verdict.judge import JudgeProgress
    from nanotui.engine.verdict.jury import JuryChoice
    from nanotui.engine.verdict.verdict import Verdict
    from nanotui.ui.app import NanotuiApp

PROGRESS_EVERY_S = 0.2  # progress reports come per streamed delta; the screen needs far fewer
# The jury and the run machinery are imported when a judge is first asked about, not when the
# app opens (they pull in the agent loop: ~0.1-0.25 s of the first screen on the Xeon).


def _default_passes() -> int:
    from nanotui.engine.verdict.jury import DEFAULT_PASSES

    return DEFAULT_PASSES


@dataclass
class JudgeJob:
    run_id: str
    choice: JuryChoice
    passes: int = field(default_factory=_default_passes)
    estimate: dict[str, float | None] | None = None  # juror spec -> least cost, before it starts
    progress: JudgeProgress | None = None
    verdict: Verdict | None = None
    error: str | None = None
    done: bool = False
    started: float = field(default_factory=time.monotonic)


class JudgeUpdated(Message):
    """A judge job moved on (estimate, progress, verdict); screens showing its run repaint."""

    def __init__(self, job: JudgeJob) -> None:
        super().__init__()
        self.job = job


class Judging:
    def __init__(self, app: NanotuiApp) -> None:
        self.app = app
        self.jobs: dict[str, JudgeJob] = {}

    def job(self, run_id: str) -> JudgeJob | None:
        return self.jobs.get(run_id)

    def running(self, run_id: str) -> bool:
        job = self.jobs.get(run_id)
        return job is not None and not job.done

    @property
    def unfinished(self) -> list[JudgeJob]:
        return [j for j in self.jobs.values() if not j.done]

    def choice(self) -> JuryChoice:
        """The default jury, or none with the reason (a broken NANOTUI_JUDGE is a reason too)."""
        from nanotui.engine.verdict.jury import JuryChoice, choose_jury

        try:
            return choose_jury()
        except NanotuiError as exc:
            return JuryChoice((), str(exc))

    def start(self, run: RunResult, rubric: str | None, store: RunStore | None) -> JudgeJob | None:
        """Judge ``run`` with the default jury; ``None`` when no juror is ready (the caller
        says why, from :meth:`choice`) or when this run is being judged already."""
        if self.running(run.run_id):
            return self.jobs[run.run_id]
        choice = self.choice()
        if not choice.models:
            return None
        job = self.jobs[run.run_id] = JudgeJob(run.run_id, choice)
        self.app.run_worker(self._judge(job, run, rubric, store), name=f"judge {run.run_id}", group="judge",
                            exit_on_error=False)
        return job

    async def _judge(self, job: JudgeJob, run: RunResult, rubric: str | None, store: RunStore | None) -> None:
        from nanotui.engine.run.service import judge_run
        from nanotui.engine.verdict.jury import Jury, estimate_cost
        from nanotui.providers.registry import SdkProviders

        providers = SdkProviders()
        last = [0.0]

        def progress(p: JudgeProgress) -> None:
            now = time.monotonic()
            if p.phase != "streaming" or now - last[0] >= PROGRESS_EVERY_S:
                last[0] = now
                job.progress = p
                self.app.post_message(JudgeUpdated(job))

        try:
            models = list(job.choice.models)
            # SDK imports and the tokenizer take a second: never on the UI's loop.
            await asyncio.to_thread(providers.preload, models)
            jury = Jury(models, providers=providers, passes=job.passes)
            job.estimate = await asyncio.to_thread(estimate_cost, jury, run, rubric)
            self.app.post_message(JudgeUpdated(job))
            job.verdict = await judge_run(run, rubric, models, providers=providers, passes=job.passes,
                                          progress=progress)
        except BaseException as exc:  # a judge failure is shown, the run's grades stand
            job.error = redact(f"{type(exc).__name__}: {exc}")
            job.done = True
            self.app.post_message(JudgeUpdated(job))
            if not isinstance(exc, Exception):
                raise
            return
        if job.verdict is not None and store is not None:
            try:
                store.add_verdict(run.run_id, job.verdict)
            except Exception as exc:
                job.error = f"could not store the verdict: {exc}"
        job.done = True
        self.app.post_message(JudgeUpdated(job))


def judge_status_text(job: JudgeJob) -> str:
    """One line: what the judge of a run is doing, or what it decided."""
    n = len(job.choice.models)
    who = job.choice.models[0].spec if n == 1 else f"{n} jurors"
    if job.done:
        v = job.verdict
        if v is None:
            return f"judge failed: {job.error}"
        line = f"judged by {who}: {v.status}, {usd(v.cost_usd)}"
        if n > 1:
            a = v.agreement
            line += f", agreement α={a.value:.2f}" + (" (low)" if a.low else "") if a.value is not None else ""
        return line + (f" ({job.error})" if job.error else "")
    cost = ""
    if job.estimate is not None:
        known = [c for c in job.estimate.values() if c is not None]
        total = usd(sum(known)) if len(known) == len(job.estimate) else "unknown"
        per = ", ".join(f"{spec.partition(':')[2]} ≥{usd(c)}" for spec, c in job.estimate.items())
        cost = f" (at least {total}: {per})" if n > 1 else f" (at least {total})"
    p = job.progress
    if p is None:
        return f"judging with {who} x {job.passes} pass(es){cost}…"
    if p.phase == "streaming":
        return f"judging with {who}{cost}: reading replies ({p.output_chars:,} characters)…"
    if p.phase == "retrying":
        return f"judging with {who}{cost}: a reply could not be read; asking once more…"
    return f"judging with {who}{cost}…"
