"""Run workflows/clip_pipeline.workflows.yaml in PyPI `workflows-emulator` against loopback fakes.

Storage calls go to fake-gcs-server; Cloud Run v2 `jobs.run` goes to `CloudRunStub`, a tiny
HTTP server that records each request and answers with a long-running operation. Nothing
reaches googleapis.com.

The emulator (1.10.0, pinned in the dev lock) interprets the Workflows language in Python. Each
patch below is one of its known gaps, named after what it fixes, and the smallest change that
makes it behave like Workflows for this file:

- `get_type_of_maps`: `get_type` does not know its own map type (a dict subclass).
- `literals_in_expressions`: `null`, `true`, `false` inside `${}` are undefined names.
- `braces_in_expressions`: `${...}` ends at the first `}`, so a regex quantifier `{0,127}` or a
  map literal breaks the expression.
- `whole_expression_values`: a value that is one whole `${...}` is turned into text and parsed
  back as YAML, so null became the string "None"; Workflows keeps the expression's value.
- `literal_find_all`: `text.find_all` searches for a regex, so ".." matched any two characters.
- `url_encode_slash`: `text.url_encode` keeps `/`; Workflows encodes it (object names in paths).
- `compact_json`: `json.encode_to_string` indents; Workflows writes compact JSON.
- `no_backoff_sleep`: retries really sleep; the delays are recorded instead.
- `connector`: the connector drops query parameters (`name`, `uploadType`, `alt`), ignores the
  media-upload path, ignores `connector_params`, and returns a long-running operation instead
  of awaiting it. The replacement builds the URL from the same bundled discovery document with
  the query string and upload path, records `connector_params`, and awaits the operation:
  its `response` is the call's result, its `error` raises an OperationError, as in Workflows.
- `loopback_request`: the request function sends googleapis.com calls to the fakes.
- `no_context_variables_in_maps`: a map's keys include every Python ContextVar of the thread
  (the emulator's device for parallel branches' shared variables), so encoding a map picked up
  `decimal_context` once any library had used `decimal`. This file runs no parallel step.

Also known and not patched (this file does not depend on it): a switch in the emulator runs
every matching condition that has no `next`/`return`, where Workflows takes the first only.
Every expression deep-copies the variables, so keep games lists in tests to tens of ids.
"""

from __future__ import annotations

import functools
import json
import re
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
import workflows_emulator.lib.json_utils as lib_json
import workflows_emulator.lib.text_utils as lib_text
import workflows_emulator.main as emulator
import workflows_emulator.render as render
from workflows_emulator.utils import (
    DISCOVERY_DOCUMENTS_PATH,
    ContextDict,
    WorkflowError,
    load_package_config,
)

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / "workflows" / "clip_pipeline.workflows.yaml"

# `${` then an expression in which strings and up to two levels of nested braces are skipped.
_BRACED = r"\{(?:[^{}]|\{[^{}]*\})*\}"
_STRING = r'"(?:[^"\\]|\\.)*"|' + r"'(?:[^'\\]|\\.)*'"
EXPRESSION = re.compile(r"\$\{((?:" + _STRING + r"|" + _BRACED + r"|[^{}\"'])*)\}")


@dataclass
class RunCall:
    """One jobs.run request the stub received."""

    job: str
    body: dict[str, Any]

    @property
    def overrides(self) -> dict[str, Any]:
        return self.body["overrides"]

    @property
    def container(self) -> dict[str, Any]:
        (container,) = self.overrides["containerOverrides"]
        return container

    @property
    def env(self) -> dict[str, str]:
        return {e["name"]: e["value"] for e in self.container.get("env", [])}


# What the stub does with one jobs.run: ("ok"|"fail"|"http500", side effect or None).
Outcome = tuple[str, Callable[[RunCall], None] | None]


@dataclass
class CloudRunStub:
    """Cloud Run Admin API v2 on loopback: jobs.run answers an operation; GET polls it.

    Wire contract (https://cloud.google.com/run/docs/reference/rest/v2/projects.locations.jobs/run):
    POST /v2/{name}:run with a RunJobRequest body -> Operation {name, done: false}; GET
    /v2/{operation name} -> {done: true, response: Execution} or {done: true, error: Status}.
    """

    outcomes: list[Outcome]
    calls: list[RunCall] = field(default_factory=list)
    polls: int = 0
    url: str = ""
    _operations: dict[str, dict[str, Any]] = field(default_factory=dict)

    def handle_run(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        job = path.removeprefix("/v2/").removesuffix(":run")
        call = RunCall(job, body)
        self.calls.append(call)
        if len(self.calls) > len(self.outcomes):  # a run the test did not expect: fail fast
            return 400, {"error": {"code": 400, "message": "no outcome scripted for this run"}}
        kind, effect = self.outcomes[len(self.calls) - 1]
        if kind == "http500":
            return 500, {"error": {"code": 500, "message": "backend error", "status": "INTERNAL"}}
        number = len(self.calls)
        execution = f"{job}/executions/exec-{number}"
        operation = job.rsplit("/jobs/", 1)[0] + f"/operations/op-{number}"
        if kind == "ok":
            if effect is not None:
                effect(call)
            done = {"name": operation, "done": True, "response": {"name": execution}}
        else:
            done = {
                "name": operation,
                "done": True,
                "error": {"code": 2, "message": f"Execution {execution} failed: 1 task failed"},
            }
        self._operations[operation] = done
        return 200, {"name": operation, "done": False, "metadata": {"name": execution}}

    def handle_get(self, path: str) -> tuple[int, dict[str, Any]]:
        self.polls += 1
        return 200, self._operations[path.removeprefix("/v2/")]


@contextmanager
def serve(stub: CloudRunStub) -> Iterator[CloudRunStub]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            self._answer(*stub.handle_run(self.path, json.loads(self.rfile.read(length))))

        def do_GET(self) -> None:
            self._answer(*stub.handle_get(self.path))

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()


@functools.cache
def discovery_document(service: str, version: str) -> dict[str, Any]:
    """The bundled discovery document, parsed once (megabytes of JSON read by a YAML parser)."""
    return load_package_config(f"{DISCOVERY_DOCUMENTS_PATH}/{service}_{version}.json")


@dataclass
class Emulated:
    """What a run recorded besides its result: connector params per call, back-off delays."""

    connector_params: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)


def patch_emulator(monkeypatch: pytest.MonkeyPatch, storage_url: str, run_url: str) -> Emulated:
    """Apply the named patches (module docstring); returns what the run records."""
    seen = Emulated()

    # get_type_of_maps
    original_get_type = render.STANDARD_LIBRARY["get_type"]

    def get_type(value: Any) -> str:
        return "map" if isinstance(value, dict) else original_get_type(value)

    monkeypatch.setitem(render.STANDARD_LIBRARY, "get_type", get_type)
    # literals_in_expressions
    for name, value in (("null", None), ("true", True), ("false", False)):
        monkeypatch.setitem(render.STANDARD_LIBRARY, name, value)
    # braces_in_expressions
    monkeypatch.setattr(render, "CODE_PATTERN", EXPRESSION)
    # whole_expression_values
    original_render_str = render.render_str

    def render_str(value: Any, context: dict[str, Any]) -> Any:
        if isinstance(value, str) and (whole := EXPRESSION.fullmatch(value)):
            return render.run_code(whole.group(1), context)
        return original_render_str(value, context)

    monkeypatch.setattr(render, "render_str", render_str)
    # literal_find_all
    monkeypatch.setattr(
        lib_text,
        "find_all",
        lambda source, substr: [m.start() for m in re.finditer(re.escape(substr), source)],
    )
    # url_encode_slash
    monkeypatch.setattr(lib_text, "url_encode", lambda source: urllib.parse.quote(source, safe=""))
    # compact_json
    monkeypatch.setattr(lib_json, "encode_to_string", lambda data, indent=False: json.dumps(data))
    # no_context_variables_in_maps
    monkeypatch.setattr(ContextDict, "keys", lambda self: list(dict.keys(self)))
    # no_backoff_sleep
    monkeypatch.setattr(emulator, "sleep", seen.sleeps.append)

    # loopback_request
    hosts = {
        "https://storage.googleapis.com": storage_url,
        "https://run.googleapis.com": run_url,
    }

    def loopback_request(url: str, method: str, body: Any = None, **_: Any) -> dict[str, Any]:
        for real, fake in hosts.items():
            if url.startswith(real + "/"):
                url = fake + url[len(real) :]
                break
        else:
            raise AssertionError(f"the workflow called {url}, which no fake serves")
        if isinstance(body, dict):
            response = requests.request(method, url, json=body, timeout=30)
        else:
            data = None if body is None else str(body).encode()
            response = requests.request(method, url, data=data, timeout=30)
        response.raise_for_status()
        is_json = "application/json" in response.headers.get("Content-Type", "")
        return {
            "code": response.status_code,
            "headers": dict(response.headers),
            "body": response.json() if is_json else response.text,
        }

    monkeypatch.setattr(emulator, "authenticated_request", loopback_request)

    # connector
    def execute_connector(step: dict[str, Any]) -> Any:
        _, service, version, *resources, method_name = step["call"].split(".")
        doc = discovery_document(service, version)
        node = doc
        for resource in resources:
            node = node["resources"][resource]
        method = node["methods"][method_name]
        args = dict(step["args"])
        seen.connector_params.append((step["call"], args.pop("connector_params", {})))
        body = args.pop("body", None)
        params = method.get("parameters", {})
        path = method["path"]
        upload = method.get("mediaUpload", {}).get("protocols", {}).get("simple", {}).get("path")
        if args.get("uploadType") == "media" and upload:
            path = upload
            base = doc["rootUrl"].rstrip("/")
        else:
            base = doc["rootUrl"] + doc["servicePath"].rstrip("/")
            path = "/" + path if not path.startswith("/") else path
        for name, value in list(args.items()):
            if params.get(name, {}).get("location") == "path":
                # Values arrive URL-encoded where the workflow encodes them (object names).
                path = path.replace("{+" + name + "}", str(value)).replace(
                    "{" + name + "}", str(value)
                )
                del args[name]
        query = "&".join(f"{k}={v}" for k, v in args.items())
        url = base + path + (f"?{query}" if query else "")
        result = emulator.authenticated_request(url=url, method=method["httpMethod"], body=body)
        answer = result["body"]
        if isinstance(answer, dict) and "/operations/" in str(answer.get("name", "")):
            while not answer.get("done"):
                operation = answer["name"]
                answer = emulator.authenticated_request(
                    url=f"{doc['rootUrl']}{version}/{operation}", method="GET"
                )["body"]
            if "error" in answer:
                raise WorkflowError(
                    message=answer["error"]["message"],
                    tags=["OperationError"],
                    operation=answer,
                )
            return answer["response"]
        return answer

    monkeypatch.setattr(emulator.StepCall, "execute_connector", staticmethod(execute_connector))
    return seen


def run_workflow(arguments: Any) -> Any:
    """Execute the workflow file once with `arguments` as its input; return its result."""
    config = emulator.load_workflow(str(WORKFLOW))
    return emulator.execute_workflow(config, {"input": arguments})
