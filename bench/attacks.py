"""Static attack transforms: attacked variants per second, against a string-only baseline, same run.

Issue 13's target: static transforms >= 10,000 variants/s on 2 cores, *counting what a run pays*
per variant: the transform itself, the variant's content-hashed id and its lineage, and the
item id the runner derives from them. The baseline does only the string work of each transform
(encode / wrap), so the ratio shows what ids and lineage cost on top.

    .venv/bin/python bench/attacks.py               # 2,000 invented cases x every static attack
    .venv/bin/python bench/attacks.py --cases 500
"""

from __future__ import annotations

import argparse
import base64
import codecs
import time

from riskscope.attacks import build_chain, expand
from riskscope.core import TestCase, stable_hash

SPECS = ("base64", "rot13", "hex", "leetspeak", "prefix_injection", "refusal_suppression", "payload_splitting",
         "template:k=3", "refusal_suppression+base64")
_WORDS = ("please", "explain", "how", "a", "garden", "river", "recipe", "history", "of", "the", "city", "music")


def cases(n: int) -> list[TestCase]:
    out = []
    for i in range(n):
        prompt = " ".join(_WORDS[(i * 5 + k) % len(_WORDS)] for k in range(10 + i % 15))
        out.append(TestCase(id=f"bench-{i}", messages=TestCase.from_prompt(prompt).messages, hazard="vcr"))
    return out


def baseline(all_cases: list[TestCase]) -> tuple[int, float]:
    """The string work alone: encode or wrap each prompt once per spec (3 times for k=3)."""
    t0 = time.perf_counter()
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
    return made, time.perf_counter() - t0


def riskscope(all_cases: list[TestCase]) -> tuple[int, float]:
    chains = [build_chain(spec) for spec in SPECS]
    t0 = time.perf_counter()
    made = 0
    for case in all_cases:
        for variant in expand(case, chains, base=False):
            stable_hash({"variant": variant.id, "lineage": variant.lineage, "persona": None, "cache": variant.id})
            made += 1
    return made, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=2000)
    args = parser.parse_args()
    all_cases = cases(args.cases)
    riskscope(all_cases[:50])  # warm-up: imports, registry, template loading
    base_n, base_s = baseline(all_cases)
    ours_n, ours_s = riskscope(all_cases)
    print(f"baseline (string work only): {base_n / base_s:>12,.0f} variants/s ({base_n} in {base_s:.2f} s)")
    print(f"riskscope (ids + lineage):   {ours_n / ours_s:>12,.0f} variants/s ({ours_n} in {ours_s:.2f} s)")
    print(f"ratio riskscope / baseline:  {(ours_n / ours_s) / (base_n / base_s):.3f}")
    print(f"target >= 10,000 variants/s: {'met' if ours_n / ours_s >= 10_000 else 'NOT met'}")


if __name__ == "__main__":
    main()
