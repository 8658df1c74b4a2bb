"""Third-party plugins load through their entry points, the way an installed package provides them.

Each test lays out a throwaway distribution on a folder put on PYTHONPATH: its module and its
``*.dist-info`` with ``entry_points.txt``, which is what ``pip install`` leaves in site-packages
and what ``importlib.metadata`` reads. The CLI then runs in a subprocess, as a user would run it.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from _cli import riskscope

PLUGIN_MODULE = '''
"""An echo target: answers every conversation with a fixed refusal (a complete target plugin)."""
from riskscope.core import PluginOptions, Response


class EchoOptions(PluginOptions):
    prefix: str = ""


class EchoTarget:
    def __init__(self, config):
        options = EchoOptions.model_validate(config.options)
        self.reply = options.prefix + (config.arg or "I can't help with that.")

    async def respond(self, messages, decoding):
        return Response(text=self.reply, finish_reason="stop")

    async def aclose(self):
        return None


def echo_target(config):
    """Answers every prompt with the text given as its argument."""
    return EchoTarget(config)


echo_target.options_model = EchoOptions  # riskscope rejects unknown option keys with one line
'''


def _distribution(root: Path, name: str, module: str, source: str, entry_points: str) -> None:
    (root / f"{module}.py").write_text(source, encoding="utf-8")
    info = root / f"{name}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(entry_points, encoding="utf-8")


def _riskscope(root: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return riskscope(*args, env={"PYTHONPATH": str(root), **env})


def test_a_target_plugin_is_listed_and_runs(tmp_path: Path) -> None:
    root = tmp_path / "site"
    root.mkdir()
    _distribution(root, "riskscope_echo", "riskscope_echo", PLUGIN_MODULE, "[riskscope.targets]\necho = riskscope_echo:echo_target\n")

    listed = _riskscope(root, "targets", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    entry = next(e for e in json.loads(listed.stdout) if e["name"] == "echo")
    assert entry["origin"] == "plugin:riskscope_echo:echo_target"
    assert entry["summary"] == "Answers every prompt with the text given as its argument."

    store = tmp_path / "s.db"
    run = _riskscope(
        root, "run", "--target", "echo:No.", "--judge", "refusal", "--limit", "3", "--store", str(store),
        "--out", str(tmp_path / "out"), "--progress", "none", "--json",
    )
    assert run.returncode == 0, run.stderr
    items = json.loads(run.stdout)["summary"]["items"]
    assert items == 3
    results = json.loads(Path(json.loads(run.stdout)["files"]["results"]).read_text())
    assert {i["response"] for i in results["items"]} == {"No."}

    # The plugin's options model is the registry's: a misspelt key is one line before any call.
    config = tmp_path / "echo.yaml"
    config.write_text("target: {name: echo, arg: 'No.', options: {prefx: '> '}}\njudges: [refusal]\nlimit: 1\n")
    bad = _riskscope(root, "run", "--config", str(config), "--store", str(store), "--progress", "none")
    assert bad.returncode == 2 and bad.stderr.strip().splitlines() == [
        "riskscope: error: target 'echo': unknown option 'prefx' (known: prefix)"
    ], bad.stderr

    # RISKSCOPE_PLUGINS restricts which plugins load: without "echo" it is unknown.
    hidden = _riskscope(root, "targets", "list", "--json", RISKSCOPE_PLUGINS="something-else")
    assert "echo" not in {e["name"] for e in json.loads(hidden.stdout)}


def test_a_broken_plugin_is_reported_and_skipped(tmp_path: Path) -> None:
    root = tmp_path / "site"
    root.mkdir()
    _distribution(root, "riskscope_broken", "riskscope_broken", "import no_such_module_here\n",
                  "[riskscope.targets]\nbroken = riskscope_broken:factory\n")
    _distribution(root, "riskscope_echo", "riskscope_echo", PLUGIN_MODULE, "[riskscope.targets]\necho = riskscope_echo:echo_target\n")

    listed = _riskscope(root, "targets", "list")
    assert listed.returncode == 0, listed.stderr
    assert "echo" in listed.stdout and "openai" in listed.stdout
    assert "broken" in listed.stdout and "ModuleNotFoundError" in listed.stdout
    assert "failed to load and is skipped" in listed.stderr

    used = _riskscope(root, "targets", "check", "broken:x")
    assert used.returncode == 2
    assert "failed to load" in used.stderr and "Traceback" not in used.stderr


def test_a_plugin_reusing_a_builtin_name_is_an_error(tmp_path: Path) -> None:
    root = tmp_path / "site"
    root.mkdir()
    _distribution(root, "riskscope_clash", "riskscope_clash", PLUGIN_MODULE, "[riskscope.targets]\nopenai = riskscope_clash:echo_target\n")
    listed = _riskscope(root, "targets", "list")
    assert listed.returncode == 2
    assert "built-in target" in listed.stderr and "riskscope_clash:echo_target" in listed.stderr
    assert "Traceback" not in listed.stderr
