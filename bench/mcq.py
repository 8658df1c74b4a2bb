"""Multiple-choice questions per second with logprob scoring: riskscope vs bare llama-cpp-python.

riskscope: a whole `execute` run (suite, store, the in-process llamacpp target with
``decoding.top_logprobs``, the ``mcq`` judge reading the letter from the first token's logprobs,
every row written to SQLite), model load included. Baseline, measured in the same process run: the
same chat prompts straight through ``llama_cpp.Llama.create_chat_completion`` with ``max_tokens=1``
and no logprobs at all (llama.cpp's own logprobs need ``logits_all=True``, which is slower; the
baseline does the least work that yields an answer token), model load included. The goal is a
ratio riskscope / bare <= 1.1. A second baseline resets llama.cpp's state before each prompt, as the
llamacpp target does so an answer cannot depend on the prompt before it (a prefix evaluated in a
different batch shape gives slightly different logits); the gap between the two baselines is the
price of that determinism, not of riskscope's pipeline. Each side runs ``--repeats`` times,
alternating; the best time counts (the machine is shared; the minimum is the least disturbed run).

Questions: a seeded sample of WMDP from ../shared/data when present (``--data``), else invented
questions written here.

    .venv/bin/python bench/mcq.py [--questions 40] [--repeats 2] [--threads N] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "wmdp_mcq"


def _suite(data: Path | None, questions: int, folder: Path) -> str:
    if data is not None and data.exists():
        return f"wmdp:{data}"
    rows = [
        {"question": f"In invented scenario {i}, which of the following numbers is the sum of {i} and {i + 3}?",
         "choices": [str(2 * i + 3 + d) for d in ((0, 1, 2, 3), (1, 0, 2, 3), (2, 1, 0, 3), (3, 1, 2, 0))[i % 4]],
         "answer": "ABCD"[i % 4], "domain": "invented"}
        for i in range(questions)
    ]  # fmt: skip
    path = folder / "invented.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return f"mcq:{path}"


def riskscope_seconds(spec: str, questions: int, threads: int, folder: Path, attempt: int) -> tuple[float, dict]:  # type: ignore[type-arg]
    from riskscope.config import RunConfig
    from riskscope.reports.mcq_figures import mcq_figures
    from riskscope.runner import execute
    from riskscope.store import Store

    options = {"n_threads": threads, "n_threads_batch": threads}
    config = RunConfig.model_validate(
        {"suites": [spec], "target": {"name": "llamacpp", "options": options},
         "judges": ["mcq"], "store": str(folder / f"bench-{attempt}.db"),
         "decoding": {"max_tokens": 1, "top_logprobs": 10}, "selection": {"sample": questions, "seed": 1}}
    )  # fmt: skip
    started = time.perf_counter()
    with Store(config.store) as store:
        record, _ = asyncio.run(execute(config, store))
        elapsed = time.perf_counter() - started
        figures = mcq_figures(store.results(record.id)) or {}
    return elapsed, figures.get("pooled", {})


def bare_seconds(spec: str, questions: int, threads: int, *, reset: bool = False) -> float:
    import llama_cpp

    from riskscope.config import PluginSpec, Selection
    from riskscope.suites import build_suite, select_cases
    from riskscope.targets.llamacpp import embedded_model_path

    cases = select_cases([build_suite(PluginSpec.parse(spec))], Selection(sample=questions, seed=1))
    started = time.perf_counter()
    llm = llama_cpp.Llama(
        model_path=str(embedded_model_path()), n_ctx=2048, n_threads=threads, n_threads_batch=threads, verbose=False
    )
    for case in cases:
        if reset:
            llm.reset()
        try:
            llm.create_chat_completion(
                messages=[{"role": "user", "content": case.prompt}], max_tokens=1, temperature=0.0, top_k=1, seed=0
            )
        except ValueError:  # longer than the context window: riskscope records the same rejection
            continue
    elapsed = time.perf_counter() - started
    llm.close()
    return elapsed


def main() -> None:
    from riskscope.targets.llamacpp import default_threads

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=default_threads())
    parser.add_argument("--data", type=Path, default=SHARED, help="WMDP folder (invented questions when absent)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        spec = _suite(args.data, args.questions, folder)
        ours, bare, bare_reset, pooled = [], [], [], {}
        for attempt in range(args.repeats):
            bare.append(bare_seconds(spec, args.questions, args.threads))
            bare_reset.append(bare_seconds(spec, args.questions, args.threads, reset=True))
            seconds, pooled = riskscope_seconds(spec, args.questions, args.threads, folder, attempt)
            ours.append(seconds)
    result = {
        "suite": spec.split(":", 1)[0],
        "questions": args.questions,
        "threads": args.threads,
        "riskscope_s": min(ours),
        "bare_s": min(bare),
        "riskscope_qps": args.questions / min(ours),
        "bare_qps": args.questions / min(bare),
        "ratio": min(ours) / min(bare),
        "bare_reset_s": min(bare_reset),
        "ratio_vs_bare_reset": min(ours) / min(bare_reset),
        "modes": pooled.get("modes"),
        "all_riskscope_s": ours,
        "all_bare_s": bare,
        "all_bare_reset_s": bare_reset,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(
        f"{result['suite']}, {args.questions} questions, {args.threads} threads, best of {args.repeats}: "
        f"riskscope {result['riskscope_qps']:.2f} q/s ({result['riskscope_s']:.1f} s, modes {result['modes']}), "
        f"bare llama-cpp-python {result['bare_qps']:.2f} q/s ({result['bare_s']:.1f} s); "
        f"ratio riskscope/bare = {result['ratio']:.2f} (goal <= 1.1); bare with a reset per prompt "
        f"{result['bare_reset_s']:.1f} s, ratio riskscope/that = {result['ratio_vs_bare_reset']:.2f}"
    )


if __name__ == "__main__":
    main()
