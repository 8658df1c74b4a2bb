"""The guard report page: what a safeguard does to a system, from ``riskscope guard compare --html``.

The figures are :func:`riskscope.stats.guard_effect.guard_effect`'s, the ones the terminal and
``--json`` print; this page only lays them out (autoescaped, our stylesheet under a CSP hash).
"""

from __future__ import annotations

from pathlib import Path

from markupsafe import Markup

from riskscope.reports._files import atomic_path
from riskscope.reports.html import _asset, csp_hash, report_environment
from riskscope.stats.guard_effect import GuardEffect

__all__ = ["render_guard_html", "write_guard_html"]

_ENV = report_environment()


def render_guard_html(
    effect: GuardEffect,
    *,
    unguarded: str,
    guarded: str,
    judge: str,
    targets: tuple[str, str],
) -> str:
    """The page for one comparison; ``targets`` are the two runs' target labels (without, with)."""
    css = _asset("report.css")
    rows = [
        {
            "name": "False-block rate on benign items",
            "estimate": effect.false_block,
            "count": effect.false_blocks,
            "base": "benign controls answered through the guard",
        },
        {
            "name": "Block rate on harmful items",
            "estimate": effect.block_on_harmful,
            "count": effect.harmful_blocks,
            "base": "harmful items answered through the guard",
        },
        {
            "name": "Miss rate",
            "estimate": effect.miss,
            "count": effect.misses,
            "base": "harmful items whose unguarded answer was judged unsafe",
        },
    ]
    u = effect.unsafe
    paired = {
        "n": u.table.n,
        "rate_a": u.rate_a,
        "rate_b": u.rate_b,
        "point": u.difference.point,
        "low": u.difference.low,
        "high": u.difference.high,
        "p_value": u.p_value,
        "verdict": u.verdict,
    }
    return _ENV.get_template("guard.html.j2").render(
        rows=rows,
        paired=paired,
        unguarded=unguarded,
        guarded=guarded,
        judge=judge,
        target_a=targets[0],
        target_b=targets[1],
        confidence=effect.false_block.confidence,
        unassessed_pairs=effect.unassessed_pairs,
        unpaired=effect.unpaired,
        css=Markup(css),  # noqa: S704 - our packaged stylesheet, never data
        style_hash=csp_hash(css),
    )


def write_guard_html(path: Path, html: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return path
