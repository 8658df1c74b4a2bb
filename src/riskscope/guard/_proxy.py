"""The safeguard proxy: an OpenAI-compatible endpoint that checks requests and answers on their way.

``POST /v1/chat/completions`` (streamed or not) and ``GET /v1/models`` are forwarded to the
upstream endpoint. Before forwarding, the policy's input judges read the request; after, its
output judges read the answer (a streamed answer is held back and read window by window, see
``_stream.py``), and a block replaces what the model said with the policy's refusal
(``finish_reason: content_filter``). Each request ends as one row of the store's decision log.

The client's ``Authorization`` header is forwarded to the upstream and goes nowhere else: the log
holds a hash of the request body, and any error text is redacted of the key before it is logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from riskscope.config import TargetConfig
from riskscope.core import Message, stable_hash
from riskscope.errors import ConfigError
from riskscope.guard._checks import CheckResult, JudgePool, case_of, run_check
from riskscope.guard._stream import HoldBack
from riskscope.guard._wire import (
    GUARD_FIELD,
    POLICY_HEADER,
    WireError,
    answer_text,
    chunk_event,
    completion_body,
    error_body,
    messages_of,
    policy_name,
    sse,
)
from riskscope.guard.policy import Action, GuardPolicy, PolicyFile
from riskscope.store import GuardDecision, Store
from riskscope.targets import Redactor

# The targets' sharded connection pool (httpcore rescans a whole pool per request: pools of 2 keep
# that cheap at C=32 and beyond); private to targets, shared here rather than written twice.
from riskscope.targets._http import PooledClient, make_client

__all__ = ["DecisionWriter", "create_proxy_app"]

_FORWARDED_HEADERS = ("authorization", "openai-organization", "openai-project")


class DecisionWriter:
    """One task writes decisions to the store, batching whatever queued up meanwhile, so the request
    path never waits on SQLite (a decision is written within one batch of the answer)."""

    def __init__(self, store_path: Path | None) -> None:
        self._store = Store(store_path) if store_path is not None else None
        self._queue: asyncio.Queue[GuardDecision | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    def put(self, decision: GuardDecision) -> None:
        self._queue.put_nowait(decision)

    async def _run(self) -> None:
        done = False
        while not done:
            batch: list[GuardDecision] = []
            item = await self._queue.get()
            while True:
                if item is None:
                    done = True
                else:
                    batch.append(item)
                if self._queue.empty():
                    break
                item = self._queue.get_nowait()
            if batch and self._store is not None:
                await asyncio.to_thread(self._store.record_guard_decisions, batch)

    async def aclose(self) -> None:
        self._queue.put_nowait(None)
        if self._task is not None:
            await self._task
        if self._store is not None:
            self._store.close()


@dataclass
class _Request:
    """What one proxied request carries from check to log."""

    policy_name: str
    policy: GuardPolicy
    body: dict[str, Any]
    messages: tuple[Message, ...]
    request_hash: str
    stream: bool
    started: float = field(default_factory=time.perf_counter)
    checks: list[CheckResult] = field(default_factory=list)
    logged: bool = False

    def guard_info(self, action: Action, stage: str) -> dict[str, Any]:
        return {"action": action.value, "stage": stage, "policy": self.policy_name, "request": self.request_hash}


def _decide(checks: list[CheckResult]) -> tuple[Action, str]:
    action, stage = Action.PASS, "none"
    for check in checks:
        if check.action.severity > action.severity:
            action, stage = check.action, check.stage
    return action, stage


def create_proxy_app(
    policies: PolicyFile,
    upstream: str,
    *,
    store_path: Path | None,
    upstream_timeout_s: float = 120.0,
    max_connections: int = 256,
) -> FastAPI:
    """The proxy app: judges built now (a bad spec fails before listening), clients on start-up."""
    specs = [s for p in policies.policies.values() for s in (*p.input_judges, *p.output_judges)]
    pool = JudgePool(specs)
    base = upstream.rstrip("/")
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        timeout = httpx.Timeout(upstream_timeout_s, connect=min(10.0, upstream_timeout_s))
        state["client"] = httpx.AsyncClient(limits=limits, timeout=timeout)  # GET /models: rare
        config = TargetConfig(
            name="openai", arg=base, concurrency=max_connections, read_timeout_s=upstream_timeout_s, max_retries=0
        )
        state["pool"] = make_client(config, base_url=base, api_key=None)
        writer = DecisionWriter(store_path)
        writer.start()
        state["writer"] = writer
        try:
            yield
        finally:
            await state["client"].aclose()
            await state["pool"].aclose()
            await writer.aclose()
            await pool.aclose()

    app = FastAPI(title="riskscope guard", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)

    def log(req: _Request, *, status: int | None, reason: str | None = None, error: bool = False) -> Action:
        """One row per request. ``error``: the request failed (upstream down, error status, unreadable
        answer): logged as action ``error``, whatever the checks said before it failed."""
        action, stage = _decide(req.checks)
        if req.logged:  # one row per request
            return action
        req.logged = True
        verdicts = [row for check in req.checks for row in check.summary()]
        windows = sum(1 for c in req.checks if c.stage == "output")
        if req.stream and windows:
            verdicts.append({"stage": "output", "windows": windows})
        state["writer"].put(
            GuardDecision(
                request_hash=req.request_hash,
                policy=req.policy_name,
                stage=stage,
                action="error" if error else action.value,
                verdicts=verdicts,
                stream=req.stream,
                check_latency_s=sum(c.latency_s for c in req.checks),
                total_latency_s=time.perf_counter() - req.started,
                upstream_status=status,
                reason=reason,
            )
        )
        return action

    def forwarded(request: Request) -> dict[str, str]:
        return {k: v for k, v in request.headers.items() if k.lower() in _FORWARDED_HEADERS}

    def redactor(request: Request) -> Redactor:
        auth = request.headers.get("authorization", "")
        return Redactor([auth, auth.removeprefix("Bearer ").strip()])

    @app.get("/health")
    async def health() -> JSONResponse:
        return JSONResponse({"status": "ok", "policies": sorted(policies.policies), "default": policies.default})

    @app.get("/v1/models")
    async def models(request: Request) -> Response:
        try:
            reply = await state["client"].get(base + "/models", headers=forwarded(request))
        except httpx.HTTPError as exc:
            message = redactor(request)(f"upstream unreachable ({type(exc).__name__}: {exc})")
            return JSONResponse(error_body(message, "upstream_error"), status_code=502)
        return Response(reply.content, status_code=reply.status_code, media_type="application/json")

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Response:
        try:
            body = json.loads(await request.body() or b"null")
            if not isinstance(body, dict):
                raise WireError("the request body must be a JSON object")
            name, policy = policies.pick(policy_name(request.headers.get(POLICY_HEADER), body))
            messages = messages_of(body)
        except (WireError, ConfigError, json.JSONDecodeError, UnicodeDecodeError) as exc:
            return JSONResponse(error_body(str(exc), "invalid_request_error"), status_code=400)
        req = _Request(name, policy, body, messages, stable_hash(body), bool(body.get("stream")))
        case = case_of(messages, req.request_hash)
        last_user = next((m.content for m in reversed(messages) if m.role == "user"), "")
        req.checks.append(await run_check("input", policy.input_judges, pool, policy, case, last_user))
        if req.checks[-1].action is Action.BLOCK:
            log(req, status=None, reason="blocked before the upstream was called")
            return _refusal(req, "input")
        if req.stream:
            return await _stream(request, req, case)
        try:
            reply = await state["pool"].request("POST", "/chat/completions", json=body, headers=forwarded(request))
        except httpx.HTTPError as exc:
            reason = redactor(request)(f"upstream unreachable ({type(exc).__name__}: {exc})")
            log(req, status=None, reason=reason, error=True)
            return JSONResponse(error_body(reason, "upstream_error"), status_code=502)
        if reply.status_code != 200:
            log(req, status=reply.status_code, reason=f"upstream answered {reply.status_code}", error=True)
            return Response(reply.content, status_code=reply.status_code, media_type="application/json")
        try:
            data = reply.json()
            message = data["choices"][0]["message"]
            text = answer_text(message)
        except (ValueError, KeyError, IndexError, TypeError, WireError):
            # An answer we cannot read is an answer we cannot check: it does not go out.
            log(req, status=200, reason="unreadable upstream answer", error=True)
            return JSONResponse(error_body("unreadable upstream answer", "upstream_error"), status_code=502)
        req.checks.append(await run_check("output", policy.output_judges, pool, policy, case, text))
        action = log(req, status=200)
        if action is Action.BLOCK:
            return _refusal(req, "output", model=str(data.get("model", "")))
        if action is Action.FLAG:
            data[GUARD_FIELD] = req.guard_info(action, _decide(req.checks)[1])
        return JSONResponse(data, headers={"X-Riskscope-Action": action.value})

    def _refusal(req: _Request, stage: str, model: str | None = None) -> Response:
        model = model or str(req.body.get("model", ""))
        info = req.guard_info(Action.BLOCK, stage)
        if not req.stream:
            body = completion_body(
                model,
                req.policy.refusal_message,
                finish_reason="content_filter",
                guard=info,
                request_id=req.request_hash,
            )
            return JSONResponse(body, headers={"X-Riskscope-Action": "block"})
        template = {"id": f"chatcmpl-guard-{req.request_hash}", "model": model}

        async def events() -> AsyncIterator[bytes]:
            yield sse(chunk_event(template, role=True, content=req.policy.refusal_message))
            yield sse(chunk_event(template, finish_reason="content_filter"))
            yield f": {GUARD_FIELD} {json.dumps(info)}\n\n".encode()
            yield sse("[DONE]")

        return StreamingResponse(events(), media_type="text/event-stream", headers={"X-Riskscope-Action": "block"})

    async def _stream(request: Request, req: _Request, case: Any) -> Response:
        pool: PooledClient = state["pool"]
        redact = redactor(request)
        opened = contextlib.AsyncExitStack()
        try:
            reply = await opened.enter_async_context(
                pool.stream("POST", "/chat/completions", json=req.body, headers=forwarded(request))
            )
        except httpx.HTTPError as exc:
            await opened.aclose()
            reason = redact(f"upstream unreachable ({type(exc).__name__}: {exc})")
            log(req, status=None, reason=reason, error=True)
            return JSONResponse(error_body(reason, "upstream_error"), status_code=502)
        if reply.status_code != 200:
            content = await reply.aread()
            await opened.aclose()
            log(req, status=reply.status_code, reason=f"upstream answered {reply.status_code}", error=True)
            return Response(content, status_code=reply.status_code, media_type="application/json")

        async def events() -> AsyncIterator[bytes]:
            try:
                async for chunk in _held_events(reply, req, case, redact, log):
                    yield chunk
            finally:
                await opened.aclose()  # the upstream connection goes back to its pool
                if not req.logged:  # the client went away mid-answer
                    log(req, status=200, reason="client disconnected before the answer ended")

        return StreamingResponse(
            events(),
            media_type="text/event-stream",
            headers={"X-Riskscope-Action": req.checks[0].action.value},
        )

    async def _held_events(
        reply: httpx.Response,
        req: _Request,
        case: Any,
        redact: Callable[[str], str],
        log_decision: Callable[..., Action],
    ) -> AsyncIterator[bytes]:
        policy = req.policy
        hold = HoldBack(policy.stream)
        template: dict[str, Any] = {}
        held_tool_events: list[dict[str, Any]] = []
        tool_text = ""
        finish: str | None = None
        usage: Any = None
        sent_role = False
        reason: str | None = None

        async def check(text: str) -> Action:
            req.checks.append(await run_check("output", policy.output_judges, pool, policy, case, text))
            return req.checks[-1].action

        def release() -> bytes:
            nonlocal sent_role
            out = sse(chunk_event(template, role=not sent_role, content=hold.release()))
            sent_role = True
            return out

        async def blocked() -> AsyncIterator[bytes]:
            log_decision(req, status=200)
            template_block = template or {"model": str(req.body.get("model", ""))}
            yield sse(chunk_event(template_block, role=not sent_role, content=policy.refusal_message))
            yield sse(chunk_event(template_block, finish_reason="content_filter"))
            info = req.guard_info(Action.BLOCK, "output")
            yield f": {GUARD_FIELD} {json.dumps(info)}\n\n".encode()
            yield sse("[DONE]")

        try:
            async for line in reply.aiter_lines():
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    break
                try:
                    event = json.loads(data)
                    choice = event["choices"][0] if event.get("choices") else {}
                except (ValueError, KeyError, IndexError, TypeError, AttributeError):
                    reason = "unreadable upstream stream event"
                    break
                if not template:
                    template = {k: event.get(k) for k in ("id", "created", "model")}
                if event.get("usage"):
                    usage = event["usage"]
                delta = choice.get("delta") or {}
                if delta.get("tool_calls"):
                    held_tool_events.append(event)
                    tool_text += json.dumps(delta["tool_calls"], ensure_ascii=False)
                content = delta.get("content")
                if isinstance(content, str) and content:
                    hold.add(content)
                if choice.get("finish_reason"):
                    finish = str(choice["finish_reason"])
                while hold.ready:
                    if await check(hold.window()) is Action.BLOCK:
                        async for chunk in blocked():
                            yield chunk
                        return
                    yield release()
        except httpx.HTTPError as exc:
            reason = redact(f"upstream stream failed ({type(exc).__name__}: {exc})")
        finally:
            await reply.aclose()
            if reason is not None:
                log_decision(req, status=200, reason=reason, error=True)
        if reason is not None:  # what was pending stays unchecked, so it is not sent
            yield sse(error_body(reason, "upstream_error"))
            yield sse("[DONE]")
            return
        final = hold.window() + ("\n" + tool_text if tool_text else "")
        if await check(final) is Action.BLOCK:
            async for chunk in blocked():
                yield chunk
            return
        if hold.pending:
            yield release()
        for event in held_tool_events:
            yield sse(event)
        action = log_decision(req, status=200)
        closing = chunk_event(template, finish_reason=finish or "stop")
        if usage is not None:
            closing["usage"] = usage
        yield sse(closing)
        if action is not Action.PASS:
            yield f": {GUARD_FIELD} {json.dumps(req.guard_info(action, _decide(req.checks)[1]))}\n\n".encode()
        yield sse("[DONE]")

    return app
