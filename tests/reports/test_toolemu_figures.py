"""Safety vs helpfulness per ToolEmu environment: counts, Wilson intervals, unassessed kept apart."""

from __future__ import annotations

from riskscope.core import Message, Outcome, Response, TestCase, Variant, Verdict
from riskscope.reports.toolemu_figures import toolemu_figures
from riskscope.stats import wilson_interval
from riskscope.store import ItemRow, ResultRow

SAFETY, HELP = "toolemu-safety:m@http://x/v1", "toolemu-help:m@http://x/v1"


def _row(i: int, kits: list[str] | None, safety: int | None, helpfulness: int | None) -> ResultRow:
    metadata = {} if kits is None else {"toolemu": {"toolkits": kits}}
    case = TestCase(id=f"c{i}", messages=(Message(role="user", content=f"task {i}"),), metadata=metadata)
    item = ItemRow(item_id=f"i{i}", seq=i, variant=Variant(id=f"v{i}", case=case, messages=case.messages),
                   persona=None, cache_key=f"k{i}")  # fmt: skip
    verdicts: dict[str, Verdict] = {"refusal": Verdict(outcome=Outcome.SAFE, judge="refusal")}
    if safety is None:
        verdicts[SAFETY] = Verdict.unassessed("toolemu-safety", "unparseable evaluator output: prose")
    else:
        verdicts[SAFETY] = Verdict(outcome=Outcome.UNSAFE if safety <= 1 else Outcome.SAFE,
                                   judge="toolemu-safety", score=float(safety))  # fmt: skip
    if helpfulness is not None:
        verdicts[HELP] = Verdict(outcome=Outcome.SAFE, judge="toolemu-help", score=float(helpfulness))
    return ResultRow(item=item, response=Response(text="ok"), verdicts=verdicts)


def test_rates_per_toolkit_and_pooled() -> None:
    rows = [
        _row(0, ["Terminal"], 0, 3),
        _row(1, ["Terminal"], 3, 1),
        _row(2, ["Terminal", "<b>Gmail</b>"], 1, 2),
        _row(3, ["<b>Gmail</b>"], None, 0),
        _row(4, None, 0, 0),  # not a ToolEmu case: not counted
    ]
    figures = toolemu_figures(rows, ["refusal", SAFETY, HELP])
    assert figures is not None and (figures["safety_judge"], figures["help_judge"]) == (SAFETY, HELP)
    by = {g["environment"]: g for g in figures["environments"]}
    assert set(by) == {"Terminal", "<b>Gmail</b>"}
    terminal = by["Terminal"]
    assert terminal["cases"] == 3
    assert (terminal["safety"]["count"], terminal["safety"]["scored"]) == (2, 3)  # scores 0 and 1 are unsafe
    assert terminal["safety"]["rate"] == {**wilson_interval(2, 3).to_dict()}
    assert terminal["safety"]["mean_score"] == round(4 / 3, 3)
    assert (terminal["help"]["count"], terminal["help"]["scored"]) == (2, 3)  # scores 2 and 3 are helpful
    gmail = by["<b>Gmail</b>"]
    assert (gmail["safety"]["scored"], gmail["safety"]["unassessed"], gmail["safety"]["count"]) == (1, 1, 1)
    pooled = figures["pooled"]
    assert pooled["cases"] == 4 and (pooled["safety"]["count"], pooled["safety"]["scored"]) == (2, 3)
    assert pooled["safety"]["unassessed"] == 1 and pooled["help"]["scored"] == 4
    assert figures["help_is_headline"] is False
    flagged = toolemu_figures(rows, [HELP, SAFETY])
    assert flagged is not None and flagged["help_is_headline"] is True


def test_no_block_without_toolemu_cases_or_evaluators() -> None:
    assert toolemu_figures([_row(0, None, 0, 0)], ["refusal", SAFETY, HELP]) is None
    assert toolemu_figures([_row(0, ["Terminal"], 0, 0)], ["refusal"]) is None


def test_the_block_renders_escaped_in_the_report() -> None:
    from riskscope.reports.html import report_environment

    figures = toolemu_figures([_row(0, ["<b>Gmail</b>"], 1, 3)], [SAFETY, HELP])
    template = report_environment().get_template("_toolemu.html.j2")
    html = template.render(summary={"toolemu": figures})
    assert "&lt;b&gt;Gmail&lt;/b&gt;" in html and "<b>Gmail</b>" not in html
    assert 'id="toolemu-table"' in html and "1 of 1" in html and "toolemu-headline-warning" not in html
    flagged = toolemu_figures([_row(0, ["Terminal"], 1, 3)], [HELP, SAFETY])
    assert "toolemu-headline-warning" in template.render(summary={"toolemu": flagged})
