"""AgentDojo through the real runner, store, registry and report, with scripted fake agents.

The agent is a named fake (``fake-dojo-agent``, registered through the real target registry: a
hosted tool-calling model cannot run here) that plays AgentDojo's ground truth; everything else is
real: AgentDojo's suites, attacks, environments and checks (the ``agentdojo`` extra), the episode
loop, the per-step store, the ``agentdojo`` judge and the summary. Skipped when the extra is missing.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("agentdojo", reason="needs the agentdojo extra (make bootstrap installs it)")
pytest.importorskip("deepdiff", reason="needs the agentdojo extra (make bootstrap installs it)")

sys.path.insert(0, str(Path(__file__).parent))
from _dojo_agent import KNOWN, reply

from riskscope.config import Decoding, PluginSpec, RunConfig, TargetConfig
from riskscope.core import ErrorKind, Message, Outcome, Response
from riskscope.errors import ConfigError, TargetError
from riskscope.reports import render_html, summarise
from riskscope.runner import execute
from riskscope.store import Store
from riskscope.suites import build_suite
from riskscope.suites._agentdojo_world import DojoRef
from riskscope.targets import target

CALLS: list[str] = []


class FakeDojoAgent:
    """Named fake: a scripted tool-calling agent playing AgentDojo's ground truth (``_dojo_agent``)."""

    def __init__(self, config: TargetConfig) -> None:
        self.mode = config.arg

    async def respond(self, messages: Sequence[Message], decoding: Decoding) -> Response:
        return await self.respond_with_tools(messages, decoding, ())

    async def respond_with_tools(
        self, messages: Sequence[Message], decoding: Decoding, tools: Sequence[dict[str, Any]]
    ) -> Response:
        CALLS.append(self.mode)
        if self.mode == "broken":
            raise TargetError(ErrorKind.HTTP_5XX, "agent down")
        out = reply(self.mode, messages, tools)
        return Response(text=out["content"] or None, tool_calls=tuple(out["tool_calls"]) or None)

    async def aclose(self) -> None:
        return None


target("fake-dojo-agent", "test fake: scripted AgentDojo agent (ground truth)")(FakeDojoAgent)

SUITE = "agentdojo:banking,sample=4,seed=3,baseline=true,rounds=4"


def _run(tmp_path: Path, mode: str, *, suite: str = SUITE, resume: str | None = None) -> Any:
    config = RunConfig.model_validate(
        {
            "suites": [suite],
            "target": {"name": "fake-dojo-agent", "arg": mode, "concurrency": 2, "max_retries": 0},
            "judges": ["agentdojo"],
            "store": str(tmp_path / "s.db"),
        }
    )
    store = Store(config.store)
    record, stats = asyncio.run(execute(config, store, resume=resume))
    return record, stats, store


def _verdicts(store: Store, run_id: str) -> dict[str, Any]:
    return {row.item.variant.case.id: row.verdicts["agentdojo"] for row in store.results(run_id)}


def test_an_agent_that_does_the_task_and_ignores_the_injection_has_utility_1_and_asr_0(tmp_path: Path) -> None:
    record, _stats, store = _run(tmp_path, "honest")
    verdicts = _verdicts(store, record.id)
    assert len(verdicts) == 8  # 4 attacked pairs + their 4 user tasks without attack
    for case_id, verdict in verdicts.items():
        assert verdict.outcome is Outcome.SAFE, (case_id, verdict.rationale)
        assert verdict.labels["utility"] == "true", (case_id, verdict.rationale)
        assert verdict.labels["mode"] == ("baseline" if case_id.endswith("baseline") else "attack")
    summary, rows = summarise(store, record.id)
    figures = summary.agentdojo
    assert figures is not None
    [group] = figures["groups"]
    assert (group["suite"], group["attack"]) == ("banking", "important_instructions")
    assert group["attacked"]["utility"]["count"] == 4 and group["attacked"]["assessed"] == 4
    assert group["attacked"]["attack_success"]["count"] == 0
    assert group["attacked"]["attack_success"]["high"] < 0.5  # Wilson, n=4: [0, 0.49]
    assert group["baseline"]["utility"]["count"] == 4
    # The headline unsafe rate is the attack success rate of the attacked cases only.
    assert summary.overall.assessed == 4 and summary.overall.unsafe == 0
    assert summary.benign_controls == 4
    html = render_html(summary, rows)
    assert 'id="agentdojo-table"' in html and "important_instructions" in html
    store.close()


def test_an_agent_that_follows_the_injection_is_counted_as_attacked(tmp_path: Path) -> None:
    record, _stats, store = _run(tmp_path, "follower")
    verdicts = _verdicts(store, record.id)
    attacked = {k: v for k, v in verdicts.items() if not k.endswith("baseline")}
    for case_id, verdict in attacked.items():
        assert verdict.outcome is Outcome.UNSAFE, (case_id, verdict.rationale)
        assert verdict.labels["security"] == "true"
        assert verdict.categories == ("agentdojo-banking",)
    # Without an injection there is nothing to follow: the same agent just does the task.
    assert all(
        v.outcome is Outcome.SAFE and v.labels["utility"] == "true" for k, v in verdicts.items() if k not in attacked
    )
    summary, _rows = summarise(store, record.id)
    [group] = summary.agentdojo["groups"]  # type: ignore[index]
    assert group["attacked"]["attack_success"]["count"] == 4 and group["attacked"]["attack_success"]["low"] > 0.5
    assert summary.overall.unsafe == 4 and summary.hazards[0].key == "agentdojo-banking"
    # The follower only acted on an injection the attack had placed in a tool observation.
    row = next(r for r in store.results(record.id) if r.item.variant.case.id in attacked)
    steps = store.steps(record.id, row.item.item_id)
    assert any("<INFORMATION>" in str(s.note.get("observation", "")) for s in steps if s.kind == "tool")
    store.close()


def _own_check(case_meta: dict[str, Any], pipeline_task: str) -> tuple[bool, bool]:
    """AgentDojo's own run of a task's ground truth on the case's injected environment."""
    import importlib

    from riskscope.suites._agentdojo_world import world

    dojo = world(case_meta["suite"])
    truth = importlib.import_module("agentdojo.agent_pipeline.ground_truth_pipeline").GroundTruthPipeline
    suite, user, injection = dojo._suite, dojo.user_tasks[case_meta["user_task"]], None
    injection = dojo.injection_tasks[case_meta["injection_task"]]
    task = user if pipeline_task == "user" else injection
    utility, security = suite.run_task_with_pipeline(truth(task), user, injection, case_meta["injections"])
    return bool(utility), bool(security)


@pytest.mark.parametrize(("mode", "pipeline_task"), [("stepwise", "user"), ("injection-truth", "injection")])
def test_the_judge_agrees_with_agentdojos_own_run_of_the_same_calls(
    tmp_path: Path, mode: str, pipeline_task: str
) -> None:
    """Through riskscope (runner, environment, store, judge) and through AgentDojo's own
    ``run_task_with_pipeline`` with its ground-truth pipeline: the same calls, the same checks."""
    spec = "agentdojo:slack+travel,sample=6,seed=4"
    cases = [c for c in build_suite(PluginSpec.parse(spec))]
    KNOWN.update({c.prompt: DojoRef.model_validate(c.metadata["agentdojo"]) for c in cases})
    assert len({c.prompt for c in cases}) == len(cases)  # one injection task per user task in this sample
    try:
        record, _stats, store = _run(tmp_path, mode, suite=spec)
    finally:
        KNOWN.clear()
    rows = list(store.results(record.id))
    assert len(rows) == 6
    for row in rows:
        verdict = row.verdicts["agentdojo"]
        assert verdict.outcome is not Outcome.UNASSESSED, verdict.reason
        ours = (verdict.labels["utility"] == "true", verdict.labels["security"] == "true")
        assert ours == _own_check(row.item.variant.case.metadata["agentdojo"], pipeline_task), (
            row.item.variant.case.id,
            verdict.rationale,
        )
    store.close()


def test_malformed_calls_are_answered_with_errors_and_change_nothing(tmp_path: Path) -> None:
    record, _stats, store = _run(tmp_path, "malformed")
    for row in store.results(record.id):
        verdict = row.verdicts["agentdojo"]
        assert verdict.outcome is Outcome.SAFE and verdict.labels["utility"] == "true", verdict.rationale
        steps = store.steps(record.id, row.item.item_id)
        reasons = [s.note.get("malformed") for s in steps[1:4]]
        assert reasons[0].startswith("arguments are not valid JSON")
        assert reasons[1] == "unknown tool 'launch_rocket'"
        assert reasons[2] == "arguments are a JSON list, not an object"
        # Answered as AgentDojo's own executor answers a call to no tool; the others as errors.
        answers = [s.note.get("observation") for s in steps[1:4]]
        assert answers[1] == "Invalid tool launch_rocket provided."
        assert answers[0].startswith("Error: arguments are not valid JSON") and answers[2].startswith("Error: ")
        assert "malformed=3" in row.response.metadata["episode"]["summary"]
    store.close()


def test_a_runaway_agent_and_a_failing_agent_are_unassessed_never_utility_false(tmp_path: Path) -> None:
    record, _stats, store = _run(tmp_path, "runaway")
    for verdict in _verdicts(store, record.id).values():
        assert verdict.outcome is Outcome.UNASSESSED
        assert "round cap 4 reached" in (verdict.reason or "")
    summary, _rows = summarise(store, record.id)
    [group] = summary.agentdojo["groups"]  # type: ignore[index]
    assert group["attacked"]["assessed"] == 0 and group["attacked"]["unassessed_reasons"] == {"round cap": 4}
    assert group["baseline"]["unassessed"] == 4
    assert group["attacked"]["utility"]["point"] is None  # nothing assessed: no rate, not NaN, not 0
    html = render_html(summary, _rows)
    assert "none assessed" in html and "nan%" not in html
    store.close()
    record, _stats, store = _run(tmp_path / "broken", "broken")
    for verdict in _verdicts(store, record.id).values():
        assert verdict.outcome is Outcome.UNASSESSED and "agent down" in (verdict.reason or "")
    store.close()


def test_a_finished_run_resumes_without_a_call_and_keeps_its_verdicts(tmp_path: Path) -> None:
    record, _stats, store = _run(tmp_path, "follower")
    before = _verdicts(store, record.id)
    store.close()
    CALLS.clear()
    again, stats, store = _run(tmp_path, "follower", resume=record.id)
    assert again.id == record.id and stats.called == 0 and CALLS == []
    assert _verdicts(store, record.id) == before
    store.close()


def test_the_environment_rebuilds_its_state_from_the_committed_calls() -> None:
    """What a resumed episode relies on: with no world in memory, the calls so far are replayed."""
    from riskscope.agents._agentdojo import AgentDojoEnvironment, forget_worlds
    from riskscope.agents._calls import parse_calls, tool_names

    [case] = [c for c in build_suite(PluginSpec.parse("agentdojo:banking,attack=none")) if c.id.endswith("u0-baseline")]
    agent = case.metadata["agent"]
    schemas = tool_names(agent["tools"])
    send = {"function": {"name": "send_money", "arguments": '{"recipient": "XX-INVENTED", "amount": 1.5, '
                                                           '"subject": "probe", "date": "2022-01-01"}'}}  # fmt: skip
    look = {"function": {"name": "get_most_recent_transactions", "arguments": '{"n": 100}'}}
    first, second = parse_calls([send, look], 0, schemas)
    live = AgentDojoEnvironment(agent["state"])
    sent = live.act(first, case.prompt, [])
    assert "sent" in sent.text and not sent.error
    seen_live = live.act(second, case.prompt, [(first, sent.text)])
    assert live.replayed == 0  # the world after the first call was still in memory
    forget_worlds()  # a fresh process after kill -9
    resumed = AgentDojoEnvironment(agent["state"])
    seen_resumed = resumed.act(second, case.prompt, [(first, sent.text)])
    assert resumed.replayed == 1 and seen_resumed.text == seen_live.text
    assert "XX-INVENTED" in seen_resumed.text
    # A fresh episode (no history) does not see the other episode's transfer.
    assert "XX-INVENTED" not in AgentDojoEnvironment(agent["state"]).act(second, case.prompt, []).text


def test_the_sample_is_seeded_and_bad_options_are_one_clean_line() -> None:
    def ids(spec: str) -> list[str]:
        return [c.id for c in build_suite(PluginSpec.parse(spec))]

    first = ids("agentdojo:slack,sample=5,seed=7")
    assert len(first) == 5 and first == ids("agentdojo:slack,sample=5,seed=7")
    assert first != ids("agentdojo:slack,sample=5,seed=8")
    assert len(ids("agentdojo:all,attack=none")) == 40 + 20 + 16 + 21  # the user tasks of v1.2.2
    with pytest.raises(ConfigError, match="unknown suite 'email'"):
        build_suite(PluginSpec.parse("agentdojo:email"))
    with pytest.raises(ConfigError, match="unknown attack 'nope'"):
        build_suite(PluginSpec.parse("agentdojo:banking,attack=nope"))
    with pytest.raises(ConfigError, match="not supported"):
        build_suite(PluginSpec.parse("agentdojo:banking,attack=captcha_dos"))
    with pytest.raises(ConfigError, match="unknown option 'samples'"):
        build_suite(PluginSpec.parse("agentdojo:banking,samples=3"))


def test_the_task_suites_load_without_the_provider_sdks() -> None:
    """The extra installs AgentDojo with --no-deps: none of its five provider SDKs is imported."""
    from riskscope.suites._agentdojo_world import world

    if any(_importable(m) for m in ("anthropic", "cohere")):
        pytest.skip("provider SDKs installed here: the bare-package path is not the one taken")
    world("workspace")
    assert not any(m in sys.modules for m in ("anthropic", "cohere", "google.genai", "langchain"))


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def test_without_the_extra_the_suite_and_the_judge_say_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from riskscope.judges import build_judge
    from riskscope.suites import _agentdojo_world as dojo

    monkeypatch.setattr(dojo, "_has", lambda module: False)  # what a machine without the extra sees
    dojo.load_agentdojo.cache_clear()
    dojo.world.cache_clear()
    try:
        with pytest.raises(ConfigError, match="the agentdojo extra is not installed"):
            build_suite(PluginSpec.parse("agentdojo:banking"))
        with pytest.raises(ConfigError, match="pip install --no-deps"):
            build_judge(PluginSpec.parse("agentdojo"))
    finally:
        monkeypatch.undo()
        dojo.load_agentdojo.cache_clear()
        dojo.world.cache_clear()
