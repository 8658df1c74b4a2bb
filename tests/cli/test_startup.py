"""Start-up stays cheap: the CLI imports what a verb needs when the verb runs, not before.

Timing lives in bench/startup.py (ratios against bare Python in the same run); these tests pin
the cause instead, which does not depend on the machine's load: which modules are imported.
"""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("scipy", "numpy", "jinja2", "rich", "httpx", "fastapi", "llama_cpp", "datasketch")


def _modules_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint(','.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    return set(out.strip().splitlines()[-1].split(","))


def test_importing_the_cli_does_not_import_scipy_or_the_report_stack() -> None:
    loaded = _modules_after("import riskscope.cli")
    assert not {m for m in HEAVY if m in loaded}, sorted(m for m in HEAVY if m in loaded)
    # Nor the stages themselves: a verb imports its stage when it runs.
    stages = {m for m in loaded if m.startswith(("riskscope.reports", "riskscope.stats", "riskscope.judges"))}
    assert not stages, sorted(stages)


def test_help_and_runs_list_import_no_heavy_module(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = tmp_path / "s.db"
    for argv in (["--help"], ["runs", "list", "--store", str(store)]):
        code = (
            "import sys\nfrom riskscope.cli import app\n"
            f"try:\n    app({argv!r}, standalone_mode=False)\nexcept SystemExit:\n    pass"
        )
        loaded = _modules_after(code)
        heavy = sorted(m for m in HEAVY if m in loaded and m != "rich")
        assert not heavy, (argv, heavy)
        assert "scipy" not in loaded


def test_constants_spelled_out_for_start_up_agree_with_their_home() -> None:
    from riskscope.cli._common import DEFAULT_STORE
    from riskscope.cli.judge_eval import FORMAT_NAMES
    from riskscope.config import DEFAULT_STORE as CONFIG_DEFAULT_STORE
    from riskscope.judges._labelled import FORMATS

    assert DEFAULT_STORE == CONFIG_DEFAULT_STORE
    assert ", ".join(FORMATS) == FORMAT_NAMES


def test_lazy_public_api_resolves_every_name() -> None:
    import riskscope

    for name in riskscope.__all__:
        assert getattr(riskscope, name) is not None
    assert riskscope.RunConfig is __import__("riskscope.config", fromlist=["RunConfig"]).RunConfig
