"""One RunConfig travels through every layer: YAML file ⇄ pydantic ⇄ CLI flags.

It is validated once, here, at the edge. Spec strings keep the command line short:
``--target openai:MODEL@http://127.0.0.1:8080/v1``, ``--target llamacpp:/models/x.gguf``,
``--suite demo``, ``--suite ailuminate:path/to/prompts.csv``, ``--judge refusal``.
Secrets never live in a config: a target names the *environment variable* that holds its key.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    field_validator,
    model_serializer,
)

from riskscope.core import RunRecord, is_secret_name, stable_hash
from riskscope.errors import ConfigError, StoreError

__all__ = [
    "DEFAULT_STORE",
    "Decoding",
    "ExecutorConfig",
    "Persona",
    "PluginSpec",
    "RunConfig",
    "Selection",
    "TargetConfig",
    "load_config",
    "redact_config",
    "spec_label",
]

DEFAULT_STORE = Path("runs") / "riskscope.db"
_SECRET_KEYS = {"api_key", "apikey", "token", "password", "secret", "authorization"}
_SCHEMA_KEYS = {"tools", "functions", "tool_choice", "response_format"}
# A timeout is a promise that a run ends: it must be a finite number of seconds, and an hour bounds
# any single call (a hanging server must not hold a run for 1e300 seconds).
MAX_TIMEOUT_S = 3600.0
# scheme://user:password@host — credentials in a URL are a secret, and a config is persisted.
_URL_CREDENTIALS = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^/@\s]*:[^/@\s]*@")


def has_url_credentials(text: str) -> bool:
    """Whether ``text`` holds a URL with a password in it (``http://user:secret@host``)."""
    return _URL_CREDENTIALS.search(text) is not None


def _spec_value(value: Any) -> Any:
    """A spec as YAML may give it: a string or a mapping; anything else is a user's type error."""
    if isinstance(value, str | dict | PluginSpec):
        return value
    raise ValueError(f"expected a spec string like NAME:ARGUMENT or a mapping, got {type(value).__name__}")


REDACTED = "<redacted>"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Decoding(_Strict):
    """Decoding parameters; part of every cache key."""

    max_tokens: int = Field(default=96, ge=1, le=32768)
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    top_p: float | None = Field(default=None, gt=0.0, le=1.0)
    seed: int | None = 0
    top_logprobs: int | None = Field(
        default=None,
        ge=1,
        le=20,
        description="Return the N most likely first tokens with their log-probabilities (llamacpp and "
        "openai targets): the mcq judge then reads the answer letter from them.",
    )

    @model_serializer(mode="wrap")
    def _without_unset_logprobs(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Left out when unset, so cache keys, item ids and config hashes of runs made before the
        # field existed stay as they were (they all hash this dump).
        data: dict[str, Any] = handler(self)
        if data.get("top_logprobs") is None:
            data.pop("top_logprobs", None)
        return data


class PluginSpec(_Strict):
    """A registered name plus its argument string and options, e.g. ``ailuminate:prompts.csv``."""

    name: str
    arg: str = ""
    options: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def parse(cls, value: str | dict[str, Any] | PluginSpec) -> PluginSpec:
        if isinstance(value, PluginSpec):
            return value
        if isinstance(value, dict):
            return cls.model_validate(value)
        name, _, arg = value.strip().partition(":")
        if not name:
            raise ConfigError(f"empty spec {value!r}: expected NAME or NAME:ARGUMENT")
        return cls(name=name, arg=arg)

    def __str__(self) -> str:
        return spec_label(self)


def spec_label(spec: object) -> str:
    """How a spec reads on every surface (terminal, reports, dashboard): ``NAME`` or ``NAME:ARG``.

    Takes a ``PluginSpec`` or the dict a run's stored config holds (options and connection
    settings never enter the label).
    """
    if isinstance(spec, PluginSpec):
        name, arg = spec.name, spec.arg
    elif isinstance(spec, dict):
        name, arg = str(spec.get("name", "")), str(spec.get("arg", "") or "")
    else:
        return str(spec)
    return f"{name}:{arg}" if arg else name


class TargetConfig(PluginSpec):
    """The system under test. ``api_key_env`` names an env var; the key itself is never stored."""

    api_key_env: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    concurrency: int = Field(default=4, ge=1, le=4096)
    max_retries: int = Field(default=4, ge=0, le=20)
    connect_timeout_s: float = Field(default=10.0, gt=0, le=MAX_TIMEOUT_S, allow_inf_nan=False)
    read_timeout_s: float = Field(default=120.0, gt=0, le=MAX_TIMEOUT_S, allow_inf_nan=False)

    @field_validator("arg")
    @classmethod
    def _no_url_credentials(cls, value: str) -> str:
        if has_url_credentials(value):
            raise ValueError(
                "the URL holds a password: a config is persisted, so put the key in an environment "
                "variable and name it with api_key_env"
            )
        return value

    @field_validator("options", "headers")
    @classmethod
    def _no_secrets(cls, value: dict[str, Any]) -> dict[str, Any]:
        # Nested too: a guarded target carries its inner targets' configs inside its options.
        pending: list[Any] = [value]
        while pending:
            node = pending.pop()
            if isinstance(node, str) and has_url_credentials(node):
                raise ValueError("a URL holds a password: name an environment variable with api_key_env instead")
            if isinstance(node, dict):
                for key, child in node.items():
                    if str(key).lower().replace("-", "_") in _SECRET_KEYS:
                        raise ValueError(
                            f"{key!r} looks like a secret: put it in an environment variable and "
                            "name that variable with api_key_env"
                        )
                    if key not in _SCHEMA_KEYS:  # tool schemas may name a "password" parameter
                        pending.append(child)
            elif isinstance(node, list | tuple):
                pending.extend(node)
        return value

    @classmethod
    def parse(cls, value: str | dict[str, Any] | PluginSpec) -> TargetConfig:
        if isinstance(value, TargetConfig):
            return value
        if isinstance(value, PluginSpec):
            return cls(name=value.name, arg=value.arg, options=dict(value.options))
        if isinstance(value, dict):
            return cls.model_validate(value)
        spec = PluginSpec.parse(value)
        return cls(name=spec.name, arg=spec.arg)

    def cache_identity(self) -> dict[str, Any]:
        """What decides the answer: kind, model/URL and options, not timeouts or concurrency."""
        return {"name": self.name, "arg": self.arg, "options": self.options, "headers": self.headers}


class Persona(_Strict):
    """A system prompt under which the whole suite is run; reported as its own dimension."""

    name: str
    system_prompt: str | None = None


class Selection(_Strict):
    """Which cases of the configured suites a run evaluates (see riskscope.suites.select_cases).

    Order: dedupe across suites, filter by hazard / persona / language, random sample of ``sample``
    cases stratified by ``stratify`` keys (none: a simple random sample) with ``seed``;
    ``RunConfig.limit`` cuts last, except that with a sample it caps the sample's size (a stratified
    draw of ``min(sample, limit)``), so a limit never drops a whole stratum.
    """

    hazards: tuple[str, ...] = ()
    personas: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    sample: int | None = Field(default=None, ge=1)
    stratify: tuple[str, ...] = ()
    seed: int = 0
    dedupe: Literal["id", "exact", "near"] = "id"
    near_threshold: float = Field(default=0.7, gt=0.0, le=1.0)

    @field_validator("hazards", "personas", "languages", "stratify", mode="before")
    @classmethod
    def _split_commas(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [value]
        if isinstance(value, (list, tuple)):
            return tuple(p.strip() for v in value for p in str(v).split(",") if p.strip())
        return value


class ExecutorConfig(_Strict):
    """Where a run's calls and judging happen; never part of a run's identity (see RunConfig.identity).

    ``local`` (the default) is the in-process asyncio pipeline. ``ray`` fans the same items out to
    async actors on a Ray cluster (the ``ray`` extra): ``address`` is what ``ray.init`` takes
    (``auto`` for the cluster this machine belongs to, ``HOST:6379`` for a cluster's head, none
    to start a local one; a ``ray://`` Ray Client address is refused, see docs/scale.md);
    ``actors`` overrides the pool size, which is otherwise one actor per CPU
    of the cluster. YAML takes ``executor: ray`` or the mapping.
    """

    name: Literal["local", "ray"] = "local"
    address: str | None = None
    actors: int | None = Field(default=None, ge=1, le=4096)

    @classmethod
    def parse(cls, value: Any) -> Any:
        return {"name": value} if isinstance(value, str) else value


class RunConfig(_Strict):
    """Everything that decides what a run computes. Its hash identifies the run for resume."""

    suites: tuple[PluginSpec, ...] = (PluginSpec(name="demo"),)
    target: TargetConfig = TargetConfig(name="llamacpp", concurrency=1)
    judges: tuple[PluginSpec, ...] = (PluginSpec(name="embedded"), PluginSpec(name="refusal"))
    personas: tuple[Persona, ...] = ()
    decoding: Decoding = Decoding()
    limit: int | None = Field(default=None, ge=1)
    selection: Selection = Selection()
    attacks: tuple[str, ...] = Field(
        default=(), description="Attack chains (``base64``, ``template:k=3+refusal_suppression``): see docs/attacks.md."
    )
    no_base: bool = Field(default=False, description="Run only the attacked variants, not each case as written.")
    store: Path = DEFAULT_STORE
    out: Path = Path("runs")
    executor: ExecutorConfig = ExecutorConfig()

    @field_validator("executor", mode="before")
    @classmethod
    def _parse_executor(cls, value: Any) -> Any:
        return ExecutorConfig.parse(value)

    @field_validator("suites", "judges", mode="before")
    @classmethod
    def _parse_specs(cls, value: Any) -> Any:
        if isinstance(value, (str, dict)):
            value = [value]
        if not isinstance(value, list | tuple):
            raise ValueError(f"expected a spec or a list of specs, got {type(value).__name__}")
        return tuple(PluginSpec.parse(_spec_value(v)) for v in value)

    @field_validator("target", mode="before")
    @classmethod
    def _parse_target(cls, value: Any) -> Any:
        return TargetConfig.parse(_spec_value(value))

    @field_validator("attacks", mode="before")
    @classmethod
    def _attack_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [value]
        if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            return tuple(v.strip() for v in value if v.strip())
        return value

    def identity(self) -> dict[str, Any]:
        """The fields that decide results (not where files go, nor where the calls run)."""
        # A default selection is left out so configs written before it existed keep their hash.
        # The executor never counts: a run started locally resumes on Ray, and the other way round.
        exclude = {"store", "out", "executor"} | ({"selection"} if self.selection == Selection() else set())
        exclude |= {"attacks"} if not self.attacks else set()
        exclude |= {"no_base"} if not self.no_base else set()
        return self.model_dump(mode="json", exclude=exclude)

    def config_hash(self) -> str:
        return stable_hash(self.identity())

    @classmethod
    def of_run(cls, run: RunRecord) -> RunConfig:
        """The stored config of ``run``, read back as the typed value it was written from.

        A config written by a riskscope this one cannot read is one clean line naming the run,
        not a validation traceback in the middle of a report or a dashboard page.
        """
        try:
            return cls.model_validate(run.config)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "config"
            raise StoreError(f"run {run.id}: stored config field {where!r}: {first['msg']}") from None


def redact_config(config: Any, path: str = "") -> Any:
    """A stored run config as exports show it: every value under a secret-looking key (core's
    ``is_secret_name``, whole words, so ``max_tokens`` stays; any header) replaced by
    ``<redacted>``, everything else (decoding, selection, timeouts, options) kept as it is.

    RunConfig already refuses secrets in target options and headers; this is the second lock, for
    configs written by older versions or by plugins that smuggle a key under another spelling.
    """
    if isinstance(config, dict):
        out: dict[Any, Any] = {}
        for key, value in config.items():
            where = f"{path}.{key}" if path else str(key)
            if key in _SCHEMA_KEYS:  # tool schemas may name a "password" parameter: not a secret
                out[key] = value
            elif not isinstance(value, dict | list) and is_secret_name(where) and value not in (None, ""):
                out[key] = REDACTED
            else:
                out[key] = redact_config(value, where)
        return out
    if isinstance(config, list | tuple):
        return [redact_config(v, path) for v in config]
    return config


def read_yaml_mapping(path: Path, what: str) -> dict[str, Any]:
    """A YAML file whose top level is a mapping (empty file: empty mapping); errors name file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason})") from exc
    try:
        loaded = yaml.safe_load(text)
    except RecursionError as exc:
        raise ConfigError(f"{path}: invalid YAML (nested too deeply)") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise ConfigError(f"{where}: invalid YAML ({getattr(exc, 'problem', None) or exc})") from exc
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"{path}: expected a mapping of {what} keys at the top level")
    return loaded


def yaml_line(path: Path, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the YAML file where field ``loc`` (a pydantic error location) is written.

    The deepest part of the path present in the file wins (an unknown key's own line; a bad value's
    line); None when the field is not in the file at all (it came from a flag or a default).
    """
    try:
        node: Any = yaml.compose(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    line: int | None = None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if getattr(k, "value", None) == str(part)), None)
            if match is None:
                break
            line, node = match[0].start_mark.line + 1, match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):  # a spec list validated item by item loses the index
            hits = [
                (k, v)
                for item in node.value
                if isinstance(item, yaml.MappingNode)
                for k, v in item.value
                if getattr(k, "value", None) == str(part)
            ]
            if not hits:
                break
            line, node = hits[0][0].start_mark.line + 1, hits[0][1]
        else:
            break
    return line


def load_config(path: Path | None, overrides: dict[str, Any]) -> RunConfig:
    """Read a YAML config (if any) and apply CLI overrides on top; one clear error if invalid,
    naming the file, the line of the field in it (when the field is written there) and the field."""
    data: dict[str, Any] = {}
    if path is not None:
        data.update(read_yaml_mapping(path, "config"))
    given = {k: v for k, v in overrides.items() if v is not None}
    data.update(given)
    try:
        return RunConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "config"
        source = ""
        if path is not None:
            from_file = not first["loc"] or first["loc"][0] not in given
            line = yaml_line(path, tuple(first["loc"])) if from_file else None
            source = f"{path}:{line}: " if line is not None else f"{path}: "
        raise ConfigError(f"{source}field {field!r}: {first['msg']}") from exc
    except ConfigError as exc:
        source = f"{path}: " if path is not None else ""
        raise ConfigError(f"{source}{exc}") from exc
