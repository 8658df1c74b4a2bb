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
    import subprocess
    import sys

    code = "import sys, riskscope, riskscope.cli; print(','.join(m for m in ('llama_cpp','httpx','fastapi','rich') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert "llama_cpp" not in out.split(",")
    assert "fastapi" not in out.split(",")
