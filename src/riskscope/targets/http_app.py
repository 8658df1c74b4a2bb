"""A user's own application over HTTP: a JSON request template and a JSONPath to the answer.

Config (YAML)::

    target:
      name: http
      arg: http://127.0.0.1:9000/chat
      options:
        request: {"session": "eval", "input": {"question": "{{prompt}}", "history": "{{messages}}"}}
        answer_path: "$.data.answer"
      api_key_env: MYAPP_KEY        # optional; sent as "Authorization: Bearer …"

Placeholders are substituted in the parsed template, never by pasting text into JSON, so a prompt
containing quotes or braces cannot change the request's structure. A string that is exactly
``"{{messages}}"`` becomes the conversation as a list of ``{"role", "content"}`` objects; inside
any other string ``{{prompt}}`` is the last user turn and ``{{system}}`` the system prompt (or "").
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Sequence
from typing import Any

from riskscope.config import Decoding, TargetConfig
from riskscope.core import ErrorKind, Message, PluginOptions, Response
from riskscope.errors import ConfigError, MissingExtraError, TargetError
from riskscope.targets._base import target, target_options
from riskscope.targets._http import Redactor, make_client, post_json, read_api_key

DEFAULT_TEMPLATE: dict[str, Any] = {"messages": "{{messages}}"}
_PLACEHOLDERS = ("{{prompt}}", "{{system}}", "{{messages}}")
_INLINE = re.compile(r"\{\{(prompt|system)\}\}")


def _last_user(messages: Sequence[Message]) -> str:
    for message in reversed(messages):
        if message.role == "user":
            return message.content
    return messages[-1].content if messages else ""


def render_template(template: Any, messages: Sequence[Message]) -> Any:
    """The request body: the template with placeholders replaced by the conversation."""
    prompt = _last_user(messages)
    system = next((m.content for m in messages if m.role == "system"), "")
    conversation = [{"role": m.role, "content": m.content} for m in messages]

    def fill(node: Any) -> Any:
        if isinstance(node, str):
            if node == "{{messages}}":
                return conversation
            # One pass, so a prompt that itself contains "{{system}}" is not expanded again.
            return _INLINE.sub(lambda m: prompt if m.group(1) == "prompt" else system, node)
        if isinstance(node, dict):
            return {k: fill(v) for k, v in node.items()}
        if isinstance(node, list):
            return [fill(v) for v in node]
        return node

    return fill(template)


def _mentions_placeholder(node: Any) -> bool:
    if isinstance(node, str):
        return any(p in node for p in _PLACEHOLDERS)
    if isinstance(node, dict):
        return any(_mentions_placeholder(v) for v in node.values())
    if isinstance(node, list):
        return any(_mentions_placeholder(v) for v in node)
    return False


def compile_answer_path(expression: str) -> Any:
    try:
        # The ext parser adds filters ($.items[?kind == 'answer']) that apps' JSON often needs.
        parser = importlib.import_module("jsonpath_ng.ext")
    except ImportError as exc:
        raise MissingExtraError(None, "jsonpath-ng") from exc
    try:
        return parser.parse(expression)
    except Exception as exc:  # jsonpath-ng raises its own lexer/parser errors and plain ones
        raise ConfigError(f"http target: answer_path {expression!r} is not a valid JSONPath: {exc}") from exc


def extract_answer(path: Any, expression: str, data: Any) -> str:
    """The answer at the JSONPath; missing or non-text is MALFORMED (never read as an empty answer)."""
    matches = [m.value for m in path.find(data)]
    if not matches:
        raise TargetError(ErrorKind.MALFORMED, f"answer_path {expression} matched nothing in the response")
    value = matches[0]
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise TargetError(ErrorKind.MALFORMED, f"answer_path {expression} matched a {type(value).__name__}, not text")


class HttpAppTarget:
    def __init__(self, config: TargetConfig) -> None:
        options = target_options(config, HttpOptions)
        self.url = config.arg or options.url or ""
        if not self.url.startswith(("http://", "https://")):
            raise ConfigError(f"http target needs a URL starting with http:// or https://, got {self.url!r}")
        self.template = DEFAULT_TEMPLATE if options.request is None else options.request
        if not isinstance(self.template, dict | list) or not _mentions_placeholder(self.template):
            raise ConfigError(
                "http target: options.request must be a JSON object containing {{prompt}} or {{messages}}"
            )
        self.answer_expression = options.answer_path or ""
        if not self.answer_expression:
            raise ConfigError("http target: options.answer_path (a JSONPath such as $.answer) is required")
        self.answer_path = compile_answer_path(self.answer_expression)
        self.method = options.method.upper()
        api_key = read_api_key(config)
        self._redact = Redactor([api_key])
        auth_header = options.api_key_header
        self._client = make_client(config, base_url=self.url, api_key=api_key, auth_header=auth_header)

    async def respond(self, messages: Sequence[Message], decoding: Decoding) -> Response:
        body = render_template(self.template, messages)
        data, latency = await post_json(self._client, self.url, body, self._redact, method=self.method)
        try:
            text = extract_answer(self.answer_path, self.answer_expression, data)
        except TargetError as exc:
            raise TargetError(exc.kind, self._redact(exc.message)) from None
        return Response(text=text, finish_reason="stop", latency_s=latency)

    async def aclose(self) -> None:
        await self._client.aclose()


class HttpOptions(PluginOptions):
    """Where the app is, the JSON request template, the JSONPath of the answer, method, key header."""

    url: str | None = None
    request: Any = None
    answer_path: str | None = None
    method: str = "POST"
    api_key_header: str = "Authorization"


@target(
    "http",
    "your own app: http:URL with options.request (JSON template) and options.answer_path (JSONPath)",
    options=HttpOptions,
)
def http_target(config: TargetConfig) -> HttpAppTarget:
    return HttpAppTarget(config)
