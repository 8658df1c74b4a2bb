"""The public API is exactly ``riskscope.__all__``; changing it is a deliberate act (httpx does this)."""

import riskscope


def test_public_api_is_locked() -> None:
    assert sorted(riskscope.__all__) == sorted(
        [
            "ConfigError",
            "Decoding",
            "ErrorKind",
            "Expected",
            "Message",
            "MissingExtraError",
            "Outcome",
            "Persona",
            "PluginSpec",
            "Response",
            "RiskscopeError",
            "RunConfig",
            "RunNotFoundError",
            "RunRecord",
            "RunStatus",
            "StoreError",
            "SuiteFormatError",
            "TargetConfig",
            "TargetError",
            "TestCase",
            "UnknownPluginError",
            "Variant",
            "Verdict",
            "__version__",
            "load_config",
        ]
    )


def test_every_exported_name_exists() -> None:
    for name in riskscope.__all__:
        assert getattr(riskscope, name) is not None


def test_importing_riskscope_loads_no_engine() -> None:
    """``import riskscope`` is the public API only: no model engine, HTTP client, web or report stack."""
    import subprocess
    import sys

    engines = ("llama_cpp", "httpx", "fastapi", "uvicorn", "rich", "scipy", "numpy", "jinja2", "pyarrow", "torch")
    code = f"import sys, riskscope; print(','.join(m for m in {engines!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"import riskscope loaded {out}"


def test_every_extra_an_error_message_names_exists() -> None:
    """A MissingExtraError tells the user ``pip install 'riskscope[X]'``: X must be a real extra."""
    import re
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    extras = set(
        tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    )
    named: dict[str, str] = {}
    for path in (root / "src" / "riskscope").rglob("*.py"):
        for match in re.finditer(r"MissingExtraError\(\s*\"([^\"]+)\"", path.read_text(encoding="utf-8")):
            named[match.group(1)] = str(path.relative_to(root))
    assert named, "the scan found no MissingExtraError at all: the pattern is stale"
    missing = {extra: where for extra, where in named.items() if extra not in extras}
    assert not missing, f"extras named in messages but not defined in pyproject.toml: {missing}"
    from riskscope.errors import MissingExtraError

    assert "riskscope[" not in str(MissingExtraError(None, "datasketch"))
