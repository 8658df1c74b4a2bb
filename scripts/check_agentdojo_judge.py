"""Does riskscope's ``agentdojo`` judge give AgentDojo's own answer? Checked pair by pair.

For each user task x injection task pair (all 949 of v1.2.2, or a seeded sample), two scripted
agents play AgentDojo's ground truth: the user task's calls, and the injection task's calls. Each
run is scored twice:

- by AgentDojo itself: ``TaskSuite.run_task_with_pipeline`` with its ``GroundTruthPipeline`` on the
  injected environment (its own runtime, its own checks);
- by riskscope: the same calls as an episode transcript (OpenAI wire format) handed to the
  ``agentdojo`` judge, which rebuilds the final state by replaying them and runs the checks.

It prints how often (utility, security) agree, and every pair where they do not.

    python scripts/check_agentdojo_judge.py                 # a seeded sample of 120 pairs
    python scripts/check_agentdojo_judge.py --all           # every pair (slow: ~30 min on 2 cores)
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import random
import time

from riskscope.core import Response, TestCase
from riskscope.judges.agentdojo import AgentDojoJudge
from riskscope.suites._agentdojo_world import SUITES, DojoRef, world


def _transcript(calls: list[tuple[str, dict[str, object]]]) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for i, (name, args) in enumerate(calls):
        wire = {"id": f"c{i}", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}
        out += [{"role": "assistant", "content": "", "tool_calls": [wire]}, {"role": "tool", "content": "..."}]
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--all", action="store_true")
    parser.add_argument("--sample", type=int, default=120)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    judge = AgentDojoJudge()
    truth = importlib.import_module("agentdojo.agent_pipeline.ground_truth_pipeline").GroundTruthPipeline
    pairs = [(s, u, i) for s in SUITES for u in world(s).user_tasks for i in world(s).injection_tasks]
    if not args.all:
        pairs = sorted(random.Random(args.seed).sample(pairs, args.sample), key=pairs.index)
    agree = total = 0
    t0 = time.monotonic()
    for suite, user_task, injection_task in pairs:
        dojo = world(suite)
        injections = dojo.injections("important_instructions", "local", user_task, injection_task)
        ref = DojoRef(
            suite=suite,
            user_task=user_task,
            injection_task=injection_task,
            attack="important_instructions",
            injections=injections,
        )
        case = TestCase.from_prompt(dojo.prompt(user_task), metadata={"agentdojo": ref.model_dump(mode="json")})
        for task_id in (user_task, injection_task):
            user, injection = dojo.user_tasks[user_task], dojo.injection_tasks[injection_task]
            task = user if task_id == user_task else injection
            own = dojo._suite.run_task_with_pipeline(truth(task), user, injection, injections)
            calls = dojo.ground_truth(task_id, dojo.start(ref))
            answer = dojo.ground_truth_output(task_id)
            episode = {"transcript": _transcript(calls)}
            verdict = asyncio.run(judge.judge(case, Response(text=answer, metadata={"episode": episode})))
            ours = (verdict.labels.get("utility") == "true", verdict.labels.get("security") == "true")
            total += 1
            if ours == (bool(own[0]), bool(own[1])):
                agree += 1
            else:
                print(f"DISAGREE {suite} {user_task} {injection_task} playing {task_id}: ours {ours} own {own}")
    print(
        f"{agree}/{total} runs agree on (utility, security) over {len(pairs)} pairs "
        f"(two scripted agents per pair), {time.monotonic() - t0:.0f}s"
    )


if __name__ == "__main__":
    main()
