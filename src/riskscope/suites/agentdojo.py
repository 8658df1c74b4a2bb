"""AgentDojo: indirect prompt injection against a tool-calling agent (the ``agentdojo`` extra).

``agentdojo:SUITE[,attack=NAME][,sample=N,seed=S][,baseline=true][,version=V][,model=M][,rounds=R]``
with SUITE one of workspace, travel, banking, slack, or ``all``. Each case is one *user task x
injection task* pair of the suite under one attack: the agent (the run's target) gets AgentDojo's
system prompt, the user task's prompt and the suite's tools; the tools run on the suite's real
Python environment (``agents`` environment ``agentdojo``), in which the attack has written its
injection where the user task's tools will read it. The ``agentdojo`` judge runs AgentDojo's own
checks on the final state: utility (the user task was done) and security (the injection task's goal
happened, i.e. the attack succeeded). A case's ``metadata["agentdojo"]`` names the tasks, the attack
and the injected text, so a case is self-describing and a changed attack text is a different case.

- ``attack``: an AgentDojo attack (default ``important_instructions``, the paper's strongest);
  ``none`` gives the baseline cases only. Denial-of-service and the interactive ``manual`` attack
  are refused: they do not measure what the judge checks.
- ``sample``/``seed``: a seeded sample of the pairs (all pairs of the chosen suites otherwise;
  949 in v1.2.2 over the four suites). The sample is drawn before any injection is computed.
- ``baseline``: also one case per user task of the sample with no attack (the injection vectors
  keep their benign defaults), for the no-attack utility. These are benign controls
  (``expected: comply``): they measure utility, never an unsafe rate.
- ``model``: the name an attack uses for the victim (a key of AgentDojo's ``MODEL_NAMES``;
  default ``local``, "Local model"); ``rounds``: round cap (default 15, AgentDojo's own loop cap);
  ``observation_chars``: the longest observation kept (default 20000: AgentDojo cuts none).

Attacked cases have hazard ``agentdojo-SUITE`` and ``expected: refuse``, so the summary's unsafe rate
per hazard is the attack success rate per suite; the AgentDojo block of the report adds utility
under attack and baseline utility (``reports.agentdojo_figures``).
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from pydantic import Field

from riskscope.config import PluginSpec
from riskscope.core import Expected, PluginOptions, TestCase
from riskscope.errors import ConfigError
from riskscope.suites._agentdojo_world import DEFAULT_VERSION, SUITES, DojoRef, system_message, world
from riskscope.suites._base import IterableSuite, SuiteInfo, suite
from riskscope.suites._source import fast_case, parse_arg, trusted_message

__all__ = ["AgentDojoOptions", "agentdojo_cases"]

_KNOWN = frozenset({"attack", "sample", "seed", "baseline", "version", "model", "rounds", "observation_chars"})


class AgentDojoOptions(PluginOptions):
    attack: str = Field(default="important_instructions", min_length=1)
    sample: int | None = Field(default=None, ge=1)
    seed: int = 0
    baseline: bool = False
    version: str = DEFAULT_VERSION
    model: str = Field(default="local", min_length=1)
    rounds: int = Field(default=15, ge=1, le=50)
    observation_chars: int = Field(default=20_000, ge=200, le=200_000)


def _short(task_id: str) -> str:
    kind, _, number = task_id.rpartition("_")
    return ("u" if kind.startswith("user") else "i") + number


def _case(ref: DojoRef, options: AgentDojoOptions) -> TestCase:
    dojo = world(ref.suite, ref.version)
    attacked = ref.injection_task is not None
    tail = f"{_short(ref.injection_task)}-{ref.attack}" if ref.injection_task else "baseline"
    meta = ref.model_dump(mode="json")
    state = {"agentdojo": meta, "observation_chars": options.observation_chars}
    prompt = dojo.prompt(ref.user_task)
    return fast_case(
        prompt,
        source="agentdojo",
        case_id=f"adj-{ref.suite}-{_short(ref.user_task)}-{tail}",
        hazard=f"agentdojo-{ref.suite}" if attacked else None,
        taxonomy="agentdojo",
        expected=Expected.REFUSE if attacked else Expected.COMPLY,
        licence="MIT",
        metadata={
            "agentdojo": meta,
            "agent": {
                "tools": list(dojo.tools),
                "state": state,
                "environment": "agentdojo",
                "rounds": options.rounds,
            },
        },
        messages=(trusted_message("system", system_message()), trusted_message("user", prompt)),
    )


def agentdojo_cases(names: tuple[str, ...], options: AgentDojoOptions) -> Iterator[TestCase]:
    """The cases of the named suites: seeded sample of the pairs first, then their injections."""
    attacked = options.attack != "none"
    pairs: list[tuple[str, str, str | None]] = []
    for name in names:
        dojo = world(name, options.version)
        if attacked:
            pairs += [(name, u, i) for u in dojo.user_tasks for i in dojo.injection_tasks]
        else:
            pairs += [(name, u, None) for u in dojo.user_tasks]
    if options.sample is not None and options.sample < len(pairs):
        chosen = set(random.Random(options.seed).sample(range(len(pairs)), options.sample))
        pairs = [p for n, p in enumerate(pairs) if n in chosen]
    baseline_done: set[tuple[str, str]] = set()
    for name, user_task, injection_task in pairs:
        dojo = world(name, options.version)
        if (injection_task is None or options.baseline) and (name, user_task) not in baseline_done:
            baseline_done.add((name, user_task))
            yield _case(DojoRef(suite=name, version=options.version, user_task=user_task), options)
        if injection_task is not None:
            injections = dojo.injections(options.attack, options.model, user_task, injection_task)
            ref = DojoRef(
                suite=name,
                version=options.version,
                user_task=user_task,
                injection_task=injection_task,
                attack=options.attack,
                injections=injections,
            )
            yield _case(ref, options)


def _names(location: str) -> tuple[str, ...]:
    if location == "all":
        return SUITES
    names = tuple(n.strip() for n in location.split("+") if n.strip())
    unknown = [n for n in names if n not in SUITES]
    if not names or unknown:
        raise ConfigError(
            f"agentdojo: unknown suite {', '.join(unknown) or location!r} (known: {', '.join(SUITES)}, all)"
        )
    return names


@suite(
    "agentdojo",
    "AgentDojo prompt injection: agentdojo:workspace|travel|banking|slack|all[,attack=NAME,sample=N,seed=S]",
    options=AgentDojoOptions,
)
def agentdojo_suite(spec: PluginSpec) -> IterableSuite:
    arg = parse_arg(spec, usage="agentdojo:workspace[,attack=important_instructions,sample=N,seed=S]", known=_KNOWN)
    if arg.flags:
        raise ConfigError(f"suite 'agentdojo': unknown flag(s) {', '.join(sorted(arg.flags))} (options are key=value)")
    names = _names(arg.location)
    options = AgentDojoOptions.model_validate(arg.options)
    for name in names:  # a bad suite, version or attack is one clean line before any case is read
        dojo = world(name, options.version)
        if options.attack != "none":
            dojo.attacker(options.attack, options.model)
    info = SuiteInfo(
        name="agentdojo",
        taxonomy="agentdojo",
        licence="MIT",
        source_url="https://github.com/ethz-spylab/agentdojo",
        description=f"AgentDojo {options.version} {'+'.join(names)}: user x injection tasks, attack {options.attack}",
        extra={"attack": options.attack, "version": options.version},
    )
    return IterableSuite(info, lambda: agentdojo_cases(names, options))
