"""A jury: several jurors from different vendors, each grading blind and independently, each
in two orders (shuffled, then reversed) to catch position bias; the candidate's grade is
the median of the jurors' grades.

Rules (docs/grading.md says the same):
- Agents that did nothing (cancelled before their first turn) are not sent to a paid judge.
- A juror does not grade candidates from its own vendor when another juror can; with one
  judge, the verdict lists which candidates share its vendor (``self_preference``).
- A juror's grade of a candidate is its grade in both orders; when the two differ it is
  their mean rounded down (in points) and the candidate is flagged.
- The jury's grade is the median of its jurors' grades; with an even number, the lower of
  the two middle ones' mean (ties rounded down). Jurors that fail are left out.
- Agreement: Krippendorff's alpha (ordinal) over jurors x candidates.
"""

from __future__ import annotations

import asyncio
import math
import os
from dataclasses import dataclass

from nanotui.engine.agent.provider import ProviderRegistry
from nanotui.engine.agent.retry import RetryPolicy
from nanotui.engine.clock import now_iso
from nanotui.engine.errors import ConfigError
from nanotui.engine.results import AgentResult, RunResult
from nanotui.engine.roster.pricing import cost_usd
from nanotui.engine.roster.roster_file import Roster, load_roster
from nanotui.engine.roster.spec import ModelSpec, vendor_of
from nanotui.engine.usage import Usage
from nanotui.engine.verdict.agreement import ordinal_alpha, position_consistency
from nanotui.engine.verdict.grading import BY_POINTS, POINTS
from nanotui.engine.verdict.judge import Judge, PassOutcome, ProgressSink
from nanotui.engine.verdict.request import blind_order
from nanotui.engine.verdict.verdict import Agreement, CandidateGrade, JurorVerdict, Verdict

DEFAULT_JUDGE = "anthropic:claude-opus-4-1"
JUDGE_ENV = "NANOTUI_JUDGE"  # one spec or several, comma-separated; --judge overrides it
DEFAULT_PASSES = 2
JURY_SIZE = 3
# --jury: the first ready model of each line, vendors in this order; mid-size models first
# (a panel of smaller judges from different families agrees with people better than one
# large judge, at a fraction of the cost).
JURY_PREFERENCE: tuple[tuple[str, ...], ...] = (
    ("openai:gpt-5-mini", "openai:gpt-5", "openai:gpt-5-nano"),
    ("anthropic:claude-sonnet-4-6", "anthropic:claude-opus-4-1", "anthropic:claude-3-haiku-20240307"),
    ("ollama:gpt-oss:120b", "ollama:gpt-oss:20b"),
)


# -- choosing the jury ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JuryChoice:
    """The jurors a run will use (none: checks only) and a one-line note saying why."""

    models: tuple[ModelSpec, ...]
    note: str | None = None

    @property
    def specs(self) -> list[str]:
        return [m.spec for m in self.models]

    @property
    def spec(self) -> str | None:
        return ", ".join(self.specs) or None


def default_judge_specs() -> list[str]:
    raw = os.environ.get(JUDGE_ENV) or DEFAULT_JUDGE
    return [s.strip() for s in raw.split(",") if s.strip()]


def resolve_judge(text: str, roster: Roster | None = None) -> ModelSpec:
    try:
        return (roster or load_roster()).resolve(text)
    except ConfigError as exc:
        if exc.field != "model":
            raise
        raise ConfigError(exc.message, field="judge", value=exc.value, expected=exc.expected) from None


def missing_key(model: ModelSpec) -> str | None:
    """The environment variable a juror needs and lacks, if any."""
    env = model.key_env
    if env and not os.environ.get(env):
        return env
    return None


def choose_jury(
    specs: list[str] | None = None, *, disabled: bool = False, roster: Roster | None = None
) -> JuryChoice:
    """Explicit judges (``--judge``, repeatable) must work: a missing key is an error. The
    default (``NANOTUI_JUDGE`` or :data:`DEFAULT_JUDGE`) judges only the jurors whose key is set."""
    if disabled:
        return JuryChoice((), "judge off: performance from the task's checks alone, if it has any")
    explicit = bool(specs)
    models = [resolve_judge(s, roster) for s in (specs or default_judge_specs())]
    ready: list[ModelSpec] = []
    lacking: list[str] = []
    for model in models:
        env = missing_key(model)
        if env is None:
            ready.append(model)
        elif explicit:
            raise ConfigError(f"{env} is not set", field="judge", value=model.spec,
                              expected="a judge whose key is set (or no judge)")
        else:
            lacking.append(f"{env} is not set for {model.spec}")
    note = None
    if not ready:
        note = f"no judge: {'; '.join(lacking)}; performance from the task's checks alone, if it has any"
    elif lacking:
        note = f"judges left out: {'; '.join(lacking)}"
    unique = list({m.spec: m for m in ready}.values())  # a juror named twice sits once
    return JuryChoice(tuple(unique), note)


def default_jury(ready: list[ModelSpec], size: int = JURY_SIZE) -> JuryChoice:
    """``--jury``: up to ``size`` jurors from different vendors among the ``ready`` models,
    in the order of :data:`JURY_PREFERENCE` (then any other ready model of a new vendor)."""
    by_spec = {m.spec: m for m in ready}
    picked: list[ModelSpec] = []
    for line in JURY_PREFERENCE:
        model = next((by_spec[s] for s in line if s in by_spec), None)
        if model is not None and model.vendor not in {p.vendor for p in picked}:
            picked.append(model)
    for model in ready:  # a vendor the preference list does not name
        if len(picked) >= size:
            break
        if model.vendor not in {p.vendor for p in picked}:
            picked.append(model)
    for model in ready:  # still short: another provider of a vendor already on the jury
        if len(picked) >= size:
            break
        if model.provider not in {p.provider for p in picked} and model not in picked:
            picked.append(model)
    picked = picked[:size]
    if not picked:
        return JuryChoice((), "no juror is ready (no key set, Ollama not running): checks only")
    note = None if len(picked) >= size else f"only {len(picked)} juror(s) ready from different vendors"
    return JuryChoice(tuple(picked), note)


# -- the jury -------------------------------------------------------------------------------


def graded_candidates(run: RunResult) -> tuple[list[AgentResult], list[str]]:
    """(the agents a jury grades, the ids of those it skips: cancelled before any turn)."""
    skip = [a.agent_id for a in run.agents if a.status == "cancelled" and a.turns == 0]
    return [a for a in run.agents if a.agent_id not in skip], skip


def median_grade(grades: list[str]) -> str | None:
    """The median in points; an even count takes the two middle ones' mean rounded down."""
    points = sorted(POINTS[g] for g in grades)
    if not points:
        return None
    mid = len(points) // 2
    value = points[mid] if len(points) % 2 else math.floor((points[mid - 1] + points[mid]) / 2)
    return BY_POINTS[value]


def combine_passes(grades: list[str | None]) -> tuple[str | None, bool | None]:
    """A juror's grade over its passes, and whether they agreed (None: fewer than two)."""
    known = [g for g in grades if g is not None]
    if not known:
        return None, None
    if len(known) == 1:
        return known[0], None
    points = [POINTS[g] for g in known]
    return BY_POINTS[math.floor(sum(points) / len(points))], len(set(known)) == 1


class Jury:
    def __init__(
        self,
        models: list[ModelSpec],
        *,
        providers: ProviderRegistry,
        passes: int = DEFAULT_PASSES,
        retry_policy: RetryPolicy = RetryPolicy(),
        timeout_s: float | None = None,
    ) -> None:
        if not models:
            raise ValueError("a jury needs at least one juror")
        if passes not in (1, 2):
            raise ConfigError("", field="judge_passes", value=passes, expected="1 or 2")
        extra = {} if timeout_s is None else {"timeout_s": timeout_s}
        self.jurors = [Judge(m, providers=providers, retry_policy=retry_policy, **extra) for m in models]
        self.passes = passes

    def assignment(self, candidates: list[AgentResult]) -> tuple[dict[str, list[AgentResult]], list[dict[str, object]]]:
        """Which candidates each juror grades, and the self-preference pairs."""
        roster_vendor = {a.agent_id: vendor_of_result(a) for a in candidates}
        jobs: dict[str, list[AgentResult]] = {j.spec: [] for j in self.jurors}
        pairs: list[dict[str, object]] = []
        for a in candidates:
            others = [j for j in self.jurors if j.model.vendor != roster_vendor[a.agent_id]]
            for j in self.jurors:
                same = j.model.vendor == roster_vendor[a.agent_id]
                excluded = same and bool(others)
                if same:
                    pairs.append({"juror": j.spec, "agent_id": a.agent_id, "excluded": excluded})
                if not excluded:
                    jobs[j.spec].append(a)
        return jobs, pairs

    async def grade(self, run: RunResult, rubric: str | None, progress: ProgressSink | None = None) -> Verdict:
        seed = f"{run.run_id}:judge"
        candidates, skipped = graded_candidates(run)
        spec_text = ", ".join(j.spec for j in self.jurors)
        if not candidates:  # nothing to grade: no call, no cost
            return Verdict(spec_text, "ok", {}, seed=seed, created_at=now_iso(), skipped=skipped,
                           agreement=Agreement(reason="no candidates"))
        jobs, pairs = self.assignment(candidates)

        async def juror_passes(judge: Judge) -> list[PassOutcome]:
            order = blind_order(jobs[judge.spec], seed)
            if not order:
                return []
            orders = [order, list(reversed(order))][: self.passes]
            # One pass after the other: the second order is asked only once the first is read
            # (the same requests in the same order every time; kinder to rate limits).
            return [await judge.grade_pass(run, o, rubric, progress, i + 1) for i, o in enumerate(orders)]

        results = await asyncio.gather(*(juror_passes(j) for j in self.jurors))
        jurors = [self._juror_verdict(j, jobs[j.spec], outcomes) for j, outcomes in zip(self.jurors, results)]
        return self._verdict(run, candidates, jurors, results, pairs, seed, skipped)

    def _juror_verdict(self, judge: Judge, assigned: list[AgentResult], outcomes: list[PassOutcome]) -> JurorVerdict:
        pass_grades = [{a.agent_id: (o.grades.get(a.agent_id) or (None, ""))[0] for a in assigned} for o in outcomes]
        grades: dict[str, str | None] = {}
        rationales: dict[str, str] = {}
        for a in assigned:
            grades[a.agent_id], _ = combine_passes([p[a.agent_id] for p in pass_grades])
            rationales[a.agent_id] = next((o.grades[a.agent_id][1] for o in outcomes if a.agent_id in o.grades), "")
        usage = sum((o.usage for o in outcomes), Usage())
        errors = [o.error for o in outcomes if o.error]
        graded = [g for g in grades.values() if g is not None]
        if not assigned:
            status = "ok"
        elif errors and not graded:
            status = "error"
        elif len(graded) == len(assigned):
            status = "ok"
        else:
            status = "partial" if graded else "unscored"
        m = judge.model
        return JurorVerdict(
            spec=judge.spec, status=status, passes=len(outcomes), grades=grades, pass_grades=pass_grades,
            rationales=rationales, usage=usage, cost_usd=cost_usd(m.provider, m.model, usage, price_as=m.price_as),
            attempts=sum(o.attempts for o in outcomes), wall_s=max((o.wall_s for o in outcomes), default=0.0),
            error="; ".join(dict.fromkeys(errors)) or None, position_consistency=position_consistency(pass_grades),
        )

    def _verdict(self, run: RunResult, candidates: list[AgentResult], jurors: list[JurorVerdict],
                 results: list[list[PassOutcome]], pairs: list[dict[str, object]], seed: str,
                 skipped: list[str]) -> Verdict:
        usable = [j for j in jurors if j.usable]
        out: dict[str, CandidateGrade] = {}
        units: list[list[int]] = []
        for a in candidates:
            by_juror = {j.spec: j.grades[a.agent_id] for j in usable if a.agent_id in j.grades}
            known = [g for g in by_juror.values() if g is not None]
            units.append([POINTS[g] for g in known])
            final = median_grade(known)
            consistent = [combine_passes([p[a.agent_id] for p in j.pass_grades])[1]
                          for j in usable if a.agent_id in j.grades]
            flags = [c for c in consistent if c is not None]
            who = next((j for j in usable if j.grades.get(a.agent_id) == final and final is not None), None)
            rationale = f"{who.spec}: {who.rationales.get(a.agent_id, '')}".rstrip(": ") if who else ""
            label = next((o.labels[a.agent_id] for outs in results for o in outs if a.agent_id in o.labels), "")
            out[a.agent_id] = CandidateGrade(a.agent_id, label, final, rationale,
                                             {spec: g for spec, g in sorted(by_juror.items())},
                                             None if not flags else all(flags))
        value, reason = ordinal_alpha(units) if len(usable) > 1 else (None, "one juror: agreement needs two or more")
        counts = [_order_counts(j) for j in usable]
        same, both = sum(c[0] for c in counts), sum(c[1] for c in counts)
        graded = [c for c in out.values() if c.grade is not None]
        if not usable:
            status = "error"
        elif len(graded) == len(out):
            status = "ok"
        else:
            status = "partial" if graded else "unscored"
        costs = [j.cost_usd for j in jurors]
        errors = [f"{j.spec}: {j.error}" for j in jurors if j.error]
        return Verdict(
            judge=", ".join(j.spec for j in jurors), status=status, candidates=out, jurors=jurors,
            agreement=Agreement(value=value, reason=reason), position_consistency=(same / both) if both else None,
            self_preference=pairs, usage=sum((j.usage for j in jurors), Usage()),
            cost_usd=None if any(c is None for c in costs) else sum(c for c in costs if c is not None),
            attempts=sum(j.attempts for j in jurors), wall_s=max((j.wall_s for j in jurors), default=0.0),
            error="; ".join(errors) or None, seed=seed, created_at=now_iso(), skipped=skipped,
        )


def _order_counts(j: JurorVerdict) -> tuple[int, int]:
    """(candidates graded the same in both orders, candidates graded in both orders)."""
    if len(j.pass_grades) < 2:
        return 0, 0
    first, second = j.pass_grades[0], j.pass_grades[1]
    both = [a for a in first if first[a] is not None and second.get(a) is not None]
    return sum(first[a] == second[a] for a in both), len(both)


def vendor_of_result(agent: AgentResult) -> str:
    provider, _, model = agent.model.partition(":")
    return vendor_of(provider, model)


def estimate_cost(jury: Jury, run: RunResult, rubric: str | None) -> dict[str, float | None]:
    """Per juror, the least its requests cost (their prompt tokens at its input price, every
    pass; the reply comes on top); ``None`` where the price or the tokenizer is unknown.
    Loads the tokenizer: call it off a UI thread."""
    from nanotui.engine.roster.pricing import known_price
    from nanotui.engine.roster.tokens import TokenizerUnavailable, count_tokens, encoding_for
    from nanotui.engine.verdict.request import JUDGE_SYSTEM_PROMPT, build_request

    candidates, _ = graded_candidates(run)
    jobs, _ = jury.assignment(candidates)
    out: dict[str, float | None] = {}
    for judge in jury.jurors:
        m = judge.model
        price = known_price(m.provider, m.model, m.price_as)
        order = jobs[judge.spec]
        if not order:
            out[judge.spec] = 0.0
            continue
        if price is None or price.input_mtok is None:
            out[judge.spec] = None
            continue
        try:
            text, _ = build_request(run, order, rubric)
            tokens = count_tokens(JUDGE_SYSTEM_PROMPT + text, encoding_for(m))
        except TokenizerUnavailable:
            out[judge.spec] = None
            continue
        out[judge.spec] = tokens * price.input_mtok / 1_000_000 * jury.passes
    return out
