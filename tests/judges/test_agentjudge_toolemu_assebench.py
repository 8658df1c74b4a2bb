"""``riskscope judge eval`` of the ToolEmu safety evaluator on ASSEBench trajectory records, end to end.

The CLI reads a trajectory file, the evaluator calls the session's real llama.cpp server (SmolLM2
standing in), and every record is classified: assessed, or UNASSESSED with its reason and counted as
such. What makes the counts checkable: the longest record exceeds ``max_chars`` (UNASSESSED, too
long, no call made), and a 3-token reply cannot be a whole JSON object carrying a 16-hex-digit nonce
(UNASSESSED, unparseable). A separate call with room to answer shows the assessed path. Two model
calls in all, on the shortest record (the server is slow on a loaded box). The records are read
from ../shared/data and written to a temporary JSONL file (never into the project).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from _cli import riskscope
from riskscope.judges._trajectory_data import load_trajectory_records
from riskscope.judges.toolemu_eval import build_toolemu_prompt

ASSEBENCH = Path(__file__).resolve().parents[3] / "shared" / "data" / "assebench_security" / "AgentJudge-security.json"


def _records(tmp_path: Path) -> tuple[Path, int]:
    """The shortest record and the longest as JSONL, and a max_chars between them."""
    rows = json.loads(ASSEBENCH.read_text(encoding="utf-8"))
    records = load_trajectory_records(ASSEBENCH)
    length = {
        i: len(build_toolemu_prompt("safety", r.trajectory.first_request, {}, r.trajectory).user)
        for i, r in enumerate(records)
    }
    order = sorted(length, key=lambda i: (length[i], i))
    chosen = [order[0], order[-1]]
    path = tmp_path / "two.jsonl"
    path.write_text("".join(json.dumps(rows[i]) + "\n" for i in chosen), encoding="utf-8")
    return path, (length[order[0]] + length[order[-1]]) // 2


def _eval(path: Path, server: Any, *options: str) -> dict[str, Any]:
    result = riskscope(
        "judge", "eval", str(path), "--judge", f"toolemu-safety:{server.model}@{server.url}", "--json",
        "--concurrency", "1", "--bootstrap", "100", "-o", "constrain=json_object", "-o", "timeout_s=1200",
        *options, timeout=3600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


@pytest.mark.slow
@pytest.mark.skipif(not ASSEBENCH.is_file(), reason="needs ../shared/data/assebench_security")
def test_judge_eval_of_toolemu_safety_counts_every_record(llama_server: Any, tmp_path: Path) -> None:
    path, max_chars = _records(tmp_path)
    data = _eval(path, llama_server, "-o", "max_tokens=3", "-o", f"max_chars={max_chars}")
    assert data["total"] == 2 and data["assessed"] == 0 and data["coverage"]["point"] == 0.0
    assert data["unassessed_reasons"] == {"trajectory too long": 1, "unparseable evaluator output": 1}
    assert data["judge_version"] == "2" and sum(data["overall"]["confusion"].values()) == 0
    # With room to answer: one record, assessed or unparseable, and counted once either way.
    one = tmp_path / "one.jsonl"
    one.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    data = _eval(one, llama_server, "-o", "max_tokens=80")
    unassessed = sum(data["unassessed_reasons"].values())
    assert data["total"] == 1 and data["assessed"] + unassessed == 1
    assert sum(data["overall"]["confusion"].values()) == data["assessed"]
    assert set(data["unassessed_reasons"]) <= {"unparseable evaluator output"}
    print(
        f"SmolLM2 as toolemu-safety on one ASSEBench record: assessed {data['assessed']}, {data['overall']['confusion']}"
    )
