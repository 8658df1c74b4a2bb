"""``riskscope guard serve``: the safeguard proxy in front of an OpenAI-compatible endpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from riskscope.cli._common import STORE_OPTION
from riskscope.errors import ConfigError

guard_app = typer.Typer(help="The safeguard proxy: riskscope's judges guarding a live model.", no_args_is_help=True)


def serve_command(
    policy: Annotated[Path, typer.Option(help="Policy YAML (docs/guard.md).", show_default=False)],
    upstream: Annotated[
        str, typer.Option(help="Base URL of the OpenAI-compatible endpoint to guard (ends in /v1).")
    ] = "http://127.0.0.1:8080/v1",
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8766,
    upstream_timeout: Annotated[
        float, typer.Option(help="Seconds to wait for the upstream (per read).", min=0.001, max=3600)
    ] = 120.0,
    store_path: Path = STORE_OPTION,
) -> None:
    """Check every chat completion against a policy's input and output judges; log each decision."""
    from riskscope.config import has_url_credentials
    from riskscope.guard import load_policies, serve_proxy

    if not upstream.startswith(("http://", "https://")):
        raise ConfigError(f"--upstream {upstream!r} is not an http(s) URL")
    if has_url_credentials(upstream):
        raise ConfigError("--upstream holds a password: clients send their own key, the proxy forwards it")
    policies = load_policies(policy)
    shown = f"[{host}]" if ":" in host else host
    typer.echo(
        f"riskscope guard on http://{shown}:{port}/v1 -> {upstream} "
        f"(policies: {', '.join(sorted(policies.policies))}; default {policies.default}; store {store_path})"
    )
    serve_proxy(policies, upstream, store_path=store_path, host=host, port=port, upstream_timeout_s=upstream_timeout)


def _rate(e: Any, count: int | None = None) -> str:
    if e.n == 0:
        return "n/a (no items in the base)"
    share = f" ({count}/{e.n})" if count is not None else f" (n={e.n})"
    return f"{100 * e.point:5.1f}% [{100 * e.low:.1f}, {100 * e.high:.1f}]{share}"


def compare_command(
    unguarded: Annotated[str, typer.Argument(help="Run id of the suite without the guard (or 'latest').")],
    guarded: Annotated[str, typer.Argument(help="Run id of the same suite through the proxy (or 'latest').")],
    judge: Annotated[
        str | None,
        typer.Option(
            help="Whose verdicts count (a judge spec both runs used; default: the headline judge). Pick one "
            "the guard does not use: grading a guard with its own judge is circular."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write the figures as an HTML report page to this file.")
    ] = None,
    store_path: Path = STORE_OPTION,
) -> None:
    """The guard's false-block rate on benign items, miss rate on harmful ones, and the unsafe rate
    without vs with it, paired item by item (docs/guard.md)."""
    from riskscope.cli._common import echo, open_query, print_json, resolve_run
    from riskscope.cli._runstats import headline_judge
    from riskscope.config import RunConfig, spec_label
    from riskscope.stats.guard_effect import guard_effect

    with open_query(store_path) as store:
        run_a, run_b = resolve_run(store, unguarded), resolve_run(store, guarded)
        judge_a, judge_b = (judge, judge) if judge else (headline_judge(store, run_a), headline_judge(store, run_b))
        if judge_a != judge_b:
            raise ConfigError(f"the runs have different headline judges ({judge_a} vs {judge_b}): pass --judge")
        configs = [RunConfig.of_run(store.get_run(run)) for run in (run_a, run_b)]
        for run, config in zip((run_a, run_b), configs, strict=True):
            if judge_a not in [spec_label(j) for j in config.judges]:
                raise ConfigError(f"run {run} was not judged by {judge_a!r}")
        effect = guard_effect(
            store.item_outcomes(run_a, judge_a), store.item_outcomes(run_b, judge_b), store.guard_blocked_items(run_b)
        )
    if html is not None:
        from riskscope.reports.guard_page import render_guard_html, write_guard_html

        page = render_guard_html(
            effect,
            unguarded=run_a,
            guarded=run_b,
            judge=judge_a,
            targets=(spec_label(configs[0].target), spec_label(configs[1].target)),
        )
        write_guard_html(html, page)
    if as_json:
        print_json({"unguarded": run_a, "guarded": run_b, "judge": judge_a, **effect.to_dict()})
        return
    u = effect.unsafe
    d = u.difference
    echo(f"guard effect: {run_a} (without) vs {run_b} (with), judge {judge_a}; 95% Wilson intervals")
    echo(f"  false-block rate on benign items  {_rate(effect.false_block, effect.false_blocks)}")
    echo(f"  block rate on harmful items       {_rate(effect.block_on_harmful)}")
    echo(f"  miss rate (unsafe without guard)  {_rate(effect.miss, effect.misses)}")
    if u.table.n:
        echo(
            f"  unsafe rate without -> with       {100 * u.rate_a:.1f}% -> {100 * u.rate_b:.1f}% "
            f"({100 * d.point:+.1f} pp [{100 * d.low:+.1f}, {100 * d.high:+.1f}], paired n={u.table.n}, "
            f"McNemar p={u.p_value:.3g}: {u.verdict})"
        )
    else:
        echo("  unsafe rate without -> with       n/a (no hazardous item assessed in both runs)")
    if effect.unassessed_pairs or effect.unpaired:
        echo(
            f"  left out: {effect.unassessed_pairs} pairs unassessed in a run, {effect.unpaired} items in one run only"
        )


def register(app: typer.Typer, stage_apps: dict[str, typer.Typer]) -> None:
    guard_app.command("serve")(serve_command)
    guard_app.command("compare")(compare_command)
    app.add_typer(guard_app, name="guard")
