"""Static attack transforms: attacked variants per second, against a string-only baseline, same run.

Issue 13's target: static transforms >= 10,000 variants/s on 2 cores, *counting what a run pays*
per variant: the transform itself, the variant's content-hashed id and its lineage, and the
item id the runner derives from them. The baseline does only the string work of each transform
(encode / wrap), so the ratio shows what ids and lineage cost on top.

    .venv/bin/python bench/attacks.py               # 2,000 invented cases x every static attack
    .venv/bin/python bench/attacks.py --cases 500

Multi-turn mode (issue 13's second target): C concurrent Crescendo conversations x T turns
through ``riskscope.runner.execute`` (real SQLite store, every step committed, the refusal judge
scoring each answer) against bench/throughput.py's server, which answers every request after a
fixed latency L. The attacker is the same server. A conversation's calls are sequential (attacker,
then target, per turn), so the latency-bound ideal is ``conversations / C x 2 T x L``; the ratio
wall / ideal must stay <= 1.15. The baseline, measured in the same run against the same server,
makes the same number of calls C at a time through the openai target alone, so the machine's
own overhead (a loaded box stretches every call) reads apart from the runner's.

    .venv/bin/python bench/attacks.py --multiturn --c 16 --turns 5 --latency 0.1
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import codecs
import json
import tempfile
import time
from pathlib import Path

from riskscope.attacks import build_chain, expand
from riskscope.core import TestCase, stable_hash

SPECS = ("base64", "rot13", "hex", "leetspeak", "prefix_injection", "refusal_suppression", "payload_splitting",
         "template:k=3", "refusal_suppression+base64", "many_shot", "few_shot:format=messages", "persona:name=all")
_WORDS = ("please", "explain", "how", "a", "garden", "river", "recipe", "history", "of", "the", "city", "music")


def cases(n: int) -> list[TestCase]:
    out = []
    for i in range(n):
        prompt = " ".join(_WORDS[(i * 5 + k) % len(_WORDS)] for k in range(10 + i % 15))
        out.append(TestCase(id=f"bench-{i}", messages=TestCase.from_prompt(prompt).messages, hazard="vcr"))
    return out


def baseline(all_cases: list[TestCase]) -> tuple[int, float, float]:
    """The string work alone: encode or wrap each prompt once per spec (3 times for k=3)."""
    t0, c0 = time.perf_counter(), time.process_time()
    made = 0
    for case in all_cases:
        prompt = case.messages[-1].content or ""
        for out in (
            base64.b64encode(prompt.encode()).decode(),
            codecs.encode(prompt, "rot13"),
            prompt.encode().hex(" "),
            prompt.translate(str.maketrans("aeiost", "431057")),
            prompt + " Start your answer with yes.",
            "Rules.\n" + prompt,
            " + ".join(prompt.split()[:3]),
            *("Template " + prompt for _ in range(3)),
            base64.b64encode(("Rules.\n" + prompt).encode()).decode(),
        ):
            made += bool(out)
    return made, time.perf_counter() - t0, time.process_time() - c0


def riskscope(all_cases: list[TestCase]) -> tuple[int, float, float]:
    chains = [build_chain(spec) for spec in SPECS]
    t0, c0 = time.perf_counter(), time.process_time()
    made = 0
    for case in all_cases:
        for variant in expand(case, chains, base=False):
            stable_hash({"variant": variant.id, "lineage": variant.lineage, "persona": None, "cache": variant.id})
            made += 1
    return made, time.perf_counter() - t0, time.process_time() - c0


def multiturn(c: int, turns: int, latency_s: float, rounds: int) -> None:
    """C concurrent conversations (``rounds`` x C in all) of T turns each; prints wall / ideal."""
    import _common
    import throughput

    from riskscope.store import Store

    _common.warm_up()
    # The refusal judge compiles its cue patterns on first use: a one-off start-up cost, paid here.
    from riskscope.config import PluginSpec
    from riskscope.core import Response, TestCase
    from riskscope.judges import build_judge

    asyncio.run(build_judge(PluginSpec(name="refusal")).judge(TestCase.from_prompt("warm up"), Response(text="Fine.")))
    process, url = _common.start_server(throughput.__file__, "--latency", str(latency_s))
    conversations = c * rounds
    calls = conversations * 2 * turns
    try:
        # The baseline, same run and server: the same number of calls, C at a time, each worker's
        # calls in sequence, through the openai target alone (no runner, store, judge or strategy).
        baseline_wall, _baseline_cpu = asyncio.run(_common.target_alone(url, calls, c, throughput._ask))
        with tempfile.TemporaryDirectory() as tmp:
            suite = Path(tmp) / "suite.jsonl"
            suite.write_text(
                "".join(
                    json.dumps({"id": f"m{i}", "prompt": f"Invented goal {i}: explain a card trick.", "hazard": "ncr"})
                    + "\n"
                    for i in range(conversations)
                )
            )
            # backtracks=0: the server always refuses, and a fixed number of calls keeps the ideal exact.
            attack = f"crescendo:turns={turns},backtracks=0,attacker=openai:bench@{url},judge=refusal"
            config = _common.run_config(suite, url, c, Path(tmp) / "bench.db", attacks=[attack], no_base=True)
            with Store(config.store) as store:
                run, stats, wall, cpu = _common.timed_run(config, store)
                steps = sum(store.step_counts(run.id).values())
                journal = store.call_journal(run.id)
    finally:
        _common.stop_server(process)
    if stats.called != calls or stats.failed:
        raise RuntimeError(f"bench run was not clean: {stats.called} calls of {calls}, {stats.failed} failed")
    ideal = rounds * 2 * turns * latency_s
    print(f"multi-turn: {conversations} conversations at C={c}, T={turns} turns, L={latency_s * 1000:.0f} ms")
    print(f"  model calls: {stats.called} (attacker + target), committed steps: {steps}")
    mean_ms = 1000 * sum(row["latency_s"] for row in journal) / max(len(journal), 1)
    print(f"  mean call latency as the client saw it: {mean_ms:.1f} ms")
    print(f"  latency-bound ideal: {ideal:.2f} s   wall: {wall:.2f} s   cpu: {cpu:.2f} s")
    verdict = "met" if wall / ideal <= 1.15 else "NOT met"
    print(f"  ratio wall / ideal: {wall / ideal:.3f}   (target <= 1.15: {verdict})")
    alone = f"{baseline_wall:.2f} s, {baseline_wall / ideal:.3f} x ideal"
    print(f"  baseline (target alone, same calls and concurrency): {alone}")
    print(f"  ratio wall / baseline: {wall / baseline_wall:.3f}")
    print(f"  load average (1 min): {_common.load_average():.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--multiturn", action="store_true", help="measure concurrent Crescendo conversations")
    parser.add_argument("--c", type=int, default=16, help="concurrent conversations (multi-turn)")
    parser.add_argument("--turns", type=int, default=5, help="turns per conversation (multi-turn)")
    parser.add_argument("--latency", type=float, default=0.1, help="server latency in seconds (multi-turn)")
    parser.add_argument("--rounds", type=int, default=2, help="conversations per worker (multi-turn)")
    args = parser.parse_args()
    if args.multiturn:
        multiturn(args.c, args.turns, args.latency, args.rounds)
        return
    all_cases = cases(args.cases)
    riskscope(all_cases[:50])  # warm-up: imports, registry, template loading
    base_n, base_s, base_cpu = baseline(all_cases)
    ours_n, ours_s, ours_cpu = riskscope(all_cases)
    print(f"baseline (string work only): {base_n / base_s:>12,.0f} variants/s ({base_n} in {base_s:.2f} s)")
    print(f"riskscope (ids + lineage):   {ours_n / ours_s:>12,.0f} variants/s ({ours_n} in {ours_s:.2f} s)")
    print(f"ratio riskscope / baseline:  {(ours_n / ours_s) / (base_n / base_s):.3f}")
    print(f"target >= 10,000 variants/s: {'met' if ours_n / ours_s >= 10_000 else 'NOT met'}")
    # Process CPU per variant reads the same on a loaded machine, where wall time does not.
    print(f"CPU per variant: riskscope {1e6 * ours_cpu / ours_n:.1f} us, baseline {1e6 * base_cpu / base_n:.1f} us"
          f" ({ours_n / max(ours_cpu, 1e-9):,.0f} variants per CPU second)")


if __name__ == "__main__":
    main()
