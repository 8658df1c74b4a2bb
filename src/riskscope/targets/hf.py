"""A transformers chat model run in this process: ``hf:MODEL_ID_OR_PATH`` (optional extra ``hf``).

transformers and torch are heavy and the default install leaves them out; they are imported when
the target is built, and their absence is a one-line :class:`~riskscope.errors.MissingExtraError`.
Models load from a local path or the local Hugging Face cache; nothing here downloads weights on
its own (set ``options.local_files_only: false`` to allow it where a hub is reachable).
"""

from __future__ import annotations

import asyncio
import importlib
import time
from collections.abc import Sequence
from typing import Any

from riskscope.config import Decoding, TargetConfig
from riskscope.core import ErrorKind, Message, PluginOptions, Response
from riskscope.errors import ConfigError, MissingExtraError, TargetError
from riskscope.targets._base import target, target_options


def _import_transformers() -> Any:
    # transformers needs a backend; name whichever of the two is missing.
    for module, package in (("torch", "torch"), ("transformers", "transformers")):
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise MissingExtraError("hf", package) from exc
    return importlib.import_module("transformers")


class HFChatTarget:
    """Generation is CPU/GPU bound and not re-entrant, so calls serialise in a worker thread."""

    def __init__(self, config: TargetConfig) -> None:
        transformers = _import_transformers()
        options = target_options(config, HFOptions)
        model_id = config.arg or options.model or ""
        if not model_id:
            raise ConfigError("hf target needs a model: hf:MODEL_ID_OR_PATH")
        local_only = options.local_files_only
        try:
            self.tokenizer = transformers.AutoTokenizer.from_pretrained(model_id, local_files_only=local_only)
            self.model = transformers.AutoModelForCausalLM.from_pretrained(model_id, local_files_only=local_only)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"hf target: cannot load {model_id!r}: {exc}") from exc
        if getattr(self.tokenizer, "chat_template", None) is None:
            raise ConfigError(f"hf target: {model_id!r} has no chat template")
        self._lock = asyncio.Lock()

    def _generate(self, messages: Sequence[Message], decoding: Decoding) -> Response:
        torch = importlib.import_module("torch")
        chat = [{"role": m.role, "content": m.content} for m in messages]
        started = time.perf_counter()
        try:
            inputs = self.tokenizer.apply_chat_template(
                chat, add_generation_prompt=True, return_tensors="pt", return_dict=True
            )
            if decoding.seed is not None:
                torch.manual_seed(decoding.seed)
            sample = decoding.temperature > 0
            kwargs: dict[str, Any] = {"max_new_tokens": decoding.max_tokens, "do_sample": sample}
            if sample:
                kwargs["temperature"] = decoding.temperature
                if decoding.top_p is not None:
                    kwargs["top_p"] = decoding.top_p
            with torch.no_grad():
                output = self.model.generate(**inputs, **kwargs)
        except (RuntimeError, ValueError) as exc:
            raise TargetError(ErrorKind.INTERNAL, f"transformers failed: {type(exc).__name__}: {exc}") from exc
        prompt_len = int(inputs["input_ids"].shape[-1])
        new_tokens = output[0][prompt_len:]
        text = self.tokenizer.decode(new_tokens, skip_special_tokens=True)
        finish = "length" if len(new_tokens) >= decoding.max_tokens else "stop"
        return Response(
            text=text,
            finish_reason=finish,
            latency_s=time.perf_counter() - started,
            prompt_tokens=prompt_len,
            completion_tokens=len(new_tokens),
        )

    async def respond(self, messages: Sequence[Message], decoding: Decoding) -> Response:
        async with self._lock:
            return await asyncio.to_thread(self._generate, messages, decoding)

    async def aclose(self) -> None:
        return None


class HFOptions(PluginOptions):
    """The model id or path (also the spec argument), and whether the hub may be reached."""

    model: str | None = None
    local_files_only: bool = True


@target("hf", "a transformers chat model: hf:MODEL_ID_OR_PATH (extra: pip install 'riskscope[hf]')", options=HFOptions)
def hf_target(config: TargetConfig) -> HFChatTarget:
    return HFChatTarget(config)
