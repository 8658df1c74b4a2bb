"""Chart geometry as plain numbers, drawn as inline SVG by the templates.

Layout is computed here, in Python, so the templates only place shapes and (autoescaped) text:
no chart library, no script, no network, and every label stays inert text whatever a suite or a
model put in it. Rates are drawn on a fixed 0–100% axis so that two charts never exaggerate a
difference by zooming in.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "AgreementCell",
    "AgreementChart",
    "DifferenceChart",
    "DifferenceRow",
    "IntervalChart",
    "IntervalRow",
    "ScatterChart",
    "ScatterPoint",
    "TrendChart",
    "TrendRow",
    "agreement_chart",
    "difference_chart",
    "interval_chart",
    "scatter_chart",
    "trend_chart",
]

_LABEL_W = 230.0
_PLOT_W = 380.0
_ROW_H = 22.0
_TOP = 26.0


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else min(1.0, max(0.0, number))


@dataclass(frozen=True)
class IntervalRow:
    label: str
    n: int
    point: float | None
    low: float
    high: float
    y: float
    x_low: float
    x_high: float
    x_point: float | None
    series: int = 0
    emphasis: bool = False


@dataclass(frozen=True)
class IntervalChart:
    """Horizontal point-and-interval rows: one per group (and per run when comparing)."""

    title: str
    rows: tuple[IntervalRow, ...]
    width: float
    height: float
    plot_x: float
    plot_w: float
    ticks: tuple[tuple[float, str], ...]
    series_names: tuple[str, ...] = ()


def _x(value: float) -> float:
    return round(_LABEL_W + value * _PLOT_W, 1)


def interval_chart(
    title: str,
    groups: Sequence[Sequence[Mapping[str, Any]]],
    *,
    series_names: Sequence[str] = (),
    emphasise_last: bool = False,
) -> IntervalChart:
    """Rows for groups of figures (``name``, ``assessed`` and an ``unsafe_rate`` estimate dict).

    ``groups`` holds one list per series (one per run); rows with the same name are drawn next to
    each other so two runs read side by side.
    """
    names: list[str] = []
    for series in groups:
        for figures in series:
            if figures["name"] not in names:
                names.append(str(figures["name"]))
    rows: list[IntervalRow] = []
    y = _TOP
    for index, name in enumerate(names):
        for series_index, series in enumerate(groups):
            match = next((f for f in series if f["name"] == name), None)
            if match is None:
                continue
            rate = match["unsafe_rate"]
            point = _finite(rate.get("point"))
            low = _finite(rate.get("low")) or 0.0
            high = _finite(rate.get("high"))
            high = 1.0 if high is None else high
            rows.append(
                IntervalRow(
                    label=name,
                    n=int(match.get("assessed", rate.get("n", 0)) or 0),
                    point=point,
                    low=low,
                    high=high,
                    y=y,
                    x_low=_x(low),
                    x_high=_x(high),
                    x_point=None if point is None else _x(point),
                    series=series_index,
                    emphasis=emphasise_last and index == len(names) - 1,
                )
            )
            y += _ROW_H
    ticks = tuple((_x(t), f"{round(t * 100)}%") for t in (0.0, 0.25, 0.5, 0.75, 1.0))
    return IntervalChart(
        title=title,
        rows=tuple(rows),
        width=_LABEL_W + _PLOT_W + 95,
        height=y + 8,
        plot_x=_LABEL_W,
        plot_w=_PLOT_W,
        ticks=ticks,
        series_names=tuple(series_names),
    )


@dataclass(frozen=True)
class DifferenceRow:
    label: str
    n: int
    point: float | None
    low: float
    high: float
    y: float
    x_low: float
    x_high: float
    x_point: float | None
    note: str = ""
    significant: bool = False


@dataclass(frozen=True)
class DifferenceChart:
    """Paired differences (B - A) with their intervals on a fixed -100..+100 pp axis around zero."""

    title: str
    rows: tuple[DifferenceRow, ...]
    width: float
    height: float
    plot_x: float
    plot_w: float
    zero_x: float
    ticks: tuple[tuple[float, str], ...]


def _signed(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else min(1.0, max(-1.0, number))


def _dx(value: float) -> float:
    return round(_LABEL_W + (value + 1.0) / 2.0 * _PLOT_W, 1)


def difference_chart(title: str, rows: Sequence[Mapping[str, Any]]) -> DifferenceChart:
    """Rows need ``name``, ``n``, a ``difference`` estimate dict (point/low/high in -1..1), and
    optionally ``note`` and ``significant``. The axis is fixed (like the rate charts), so a small
    lift is drawn small; a row with no pairs has no dot and spans the whole axis."""
    placed: list[DifferenceRow] = []
    y = _TOP
    for row in rows:
        diff = row["difference"]
        point = _signed(diff.get("point"))
        low = _signed(diff.get("low"))
        high = _signed(diff.get("high"))
        low = -1.0 if low is None else low
        high = 1.0 if high is None else high
        placed.append(
            DifferenceRow(
                label=str(row["name"]),
                n=int(row.get("n", 0) or 0),
                point=point,
                low=low,
                high=high,
                y=y,
                x_low=_dx(low),
                x_high=_dx(high),
                x_point=None if point is None else _dx(point),
                note=str(row.get("note", "")),
                significant=bool(row.get("significant", False)),
            )
        )
        y += _ROW_H
    ticks = tuple((_dx(t), f"{round(t * 100):+d} pp" if t else "0") for t in (-1.0, -0.5, 0.0, 0.5, 1.0))
    return DifferenceChart(
        title=title,
        rows=tuple(placed),
        width=_LABEL_W + _PLOT_W + 150,
        height=y + 8,
        plot_x=_LABEL_W,
        plot_w=_PLOT_W,
        zero_x=_dx(0.0),
        ticks=ticks,
    )


@dataclass(frozen=True)
class ScatterPoint:
    label: str
    x: float | None
    y: float | None
    cx: float
    cy: float
    label_dy: float
    x_low: float
    x_high: float
    y_low: float
    y_high: float
    series: int = 0


@dataclass(frozen=True)
class ScatterChart:
    """Over-refusal (x) against unsafe rate (y): the trade-off a safety tune moves along."""

    title: str
    points: tuple[ScatterPoint, ...]
    size: float
    margin: float
    ticks: tuple[tuple[float, str], ...]
    skipped: tuple[str, ...] = field(default=())


_SCATTER = 260.0
_MARGIN = 48.0


def scatter_chart(title: str, points: Sequence[Mapping[str, Any]]) -> ScatterChart:
    """Each point needs ``label``, ``over_refusal`` and ``unsafe`` estimate dicts; ``series`` optional.

    A point with no estimate on either axis cannot be placed honestly, so it is listed as skipped.
    """

    def sx(v: float) -> float:
        return round(_MARGIN + v * _SCATTER, 1)

    def sy(v: float) -> float:
        return round(_MARGIN / 2 + (1 - v) * _SCATTER, 1)

    placed: list[ScatterPoint] = []
    skipped: list[str] = []
    for point in points:
        over, unsafe = point["over_refusal"], point["unsafe"]
        x, y = _finite(over.get("point")), _finite(unsafe.get("point"))
        if x is None or y is None:
            skipped.append(str(point["label"]))
            continue
        placed.append(
            ScatterPoint(
                label=str(point["label"]),
                x=x,
                y=y,
                cx=sx(x),
                cy=sy(y),
                # Nearby points would print their labels on top of each other: stagger them.
                label_dy=-6.0 + 13.0 * (len(placed) % 4),
                x_low=sx(_finite(over.get("low")) or 0.0),
                x_high=sx(_finite(over.get("high")) or 1.0),
                y_low=sy(_finite(unsafe.get("low")) or 0.0),
                y_high=sy(_finite(unsafe.get("high")) or 1.0),
                series=int(point.get("series", 0)),
            )
        )
    ticks = tuple((t * _SCATTER, f"{round(t * 100)}%") for t in (0.0, 0.5, 1.0))
    return ScatterChart(
        title=title,
        points=tuple(placed),
        size=_SCATTER,
        margin=_MARGIN,
        ticks=ticks,
        skipped=tuple(skipped),
    )


@dataclass(frozen=True)
class AgreementCell:
    row: str
    column: str
    x: float
    y: float
    value: float | None
    text: str
    shade: int


@dataclass(frozen=True)
class AgreementChart:
    """Pairwise judge agreement as a matrix of Cohen's kappa (diagonal omitted)."""

    title: str
    judges: tuple[str, ...]
    cells: tuple[AgreementCell, ...]
    cell: float
    label_w: float
    width: float
    height: float


def agreement_chart(
    title: str, judges: Sequence[str], kappas: Mapping[tuple[str, str], float | None]
) -> AgreementChart:
    """``kappas`` maps (judge_a, judge_b) to kappa, or None where it is undefined (no overlap)."""
    cell, label_w = 70.0, 200.0
    cells: list[AgreementCell] = []
    for i, row in enumerate(judges):
        for j, column in enumerate(judges):
            if i == j:
                continue
            value = kappas.get((row, column), kappas.get((column, row)))
            # Five shades from disagreement (kappa <= 0) to near-perfect agreement (kappa = 1).
            shade = 0 if value is None else max(1, min(5, 1 + int(max(0.0, value) * 4.999)))
            cells.append(
                AgreementCell(
                    row=row,
                    column=column,
                    x=label_w + j * cell,
                    y=30 + i * cell,
                    value=value,
                    text="n/a" if value is None else f"{value:.2f}",
                    shade=shade,
                )
            )
    return AgreementChart(
        title=title,
        judges=tuple(judges),
        cells=tuple(cells),
        cell=cell,
        label_w=label_w,
        width=label_w + cell * len(judges) + 10,
        height=30 + cell * len(judges) + 10,
    )


@dataclass(frozen=True)
class TrendRow:
    """One hazard's unsafe rate across a series of runs, with where its alarm fired."""

    label: str
    y: float  # top of this row's strip
    points: tuple[tuple[float, float, str], ...]  # (x, y, tooltip) per run with assessed items
    polyline: str
    baseline_x: float | None  # where monitoring starts (after the baseline runs)
    alarm: tuple[float, float] | None  # the alarm run's point


@dataclass(frozen=True)
class TrendChart:
    """Small multiples: one strip per hazard, runs left to right, rate on a fixed 0–100% axis."""

    title: str
    rows: tuple[TrendRow, ...]
    runs: tuple[str, ...]
    width: float
    height: float
    plot_x: float
    plot_w: float
    strip_h: float


_STRIP_H = 44.0


def trend_chart(title: str, runs: Sequence[str], hazards: Mapping[str, Mapping[str, Any]]) -> TrendChart:
    """``hazards`` as ``reports.trend.Series.to_dict()["hazards"]`` gives them: per hazard its per-run
    counts and CUSUM (baseline runs, alarm run). A run with no assessed item of a hazard has no point."""
    step = _PLOT_W / max(1, len(runs) - 1)
    rows = []
    for index, (hazard, data) in enumerate(sorted(hazards.items())):
        top = _TOP + index * _STRIP_H
        points = []
        for i, count in enumerate(data["counts"]):
            if count["assessed"]:
                rate = count["unsafe"] / count["assessed"]
                x = round(_LABEL_W + i * step, 1)
                y = round(top + (1 - rate) * (_STRIP_H - 12) + 4, 1)
                points.append((x, y, f"{count['run']}: {100 * rate:.1f}% ({count['unsafe']}/{count['assessed']})"))
        cusum = data.get("cusum")
        baseline_x = alarm = None
        if cusum is not None:
            baseline_x = round(_LABEL_W + (cusum["baseline_runs"] - 0.5) * step, 1)
            if cusum.get("alarm_run") in runs:
                at = list(runs).index(cusum["alarm_run"])
                match = [(x, y) for x, y, _ in points if x == round(_LABEL_W + at * step, 1)]
                alarm = match[0] if match else None
        rows.append(
            TrendRow(
                label=hazard,
                y=top,
                points=tuple(points),
                polyline=" ".join(f"{x},{y}" for x, y, _ in points),
                baseline_x=baseline_x,
                alarm=alarm,
            )
        )
    return TrendChart(
        title=title,
        rows=tuple(rows),
        runs=tuple(runs),
        width=_LABEL_W + _PLOT_W + 60,
        height=_TOP + len(rows) * _STRIP_H + 8,
        plot_x=_LABEL_W,
        plot_w=_PLOT_W,
        strip_h=_STRIP_H,
    )
