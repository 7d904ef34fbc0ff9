"""A loopback fake of Slack's Web API for tests (no network beyond 127.0.0.1).

    with SlackFake() as slack:
        client = WebClient(token="xoxb-test", base_url=slack.base_url)
        slack.respond("chat.postMessage", {"ok": False, "error": "ratelimited"},
                      status=429, headers={"Retry-After": "7"})
        ...
        assert slack.calls("chat.postMessage")[0].body["channel"] == "C1"

Every request is recorded (method, path, headers, parsed form / JSON body, raw bytes)
before it is answered. Each Web API method answers a canned response (sensible
defaults below) that a test can override: body (a dict, a str sent as text/plain, or a
callable taking the `RecordedRequest`), status, headers (e.g. Retry-After) and a delay
(for client timeouts). `once=True` queues a response for the next call only.
`paginate` serves pages of `conversations.history` / `.replies` with cursors.

As a pytest fixture:

    @pytest.fixture
    def slack() -> Iterator[SlackFake]:
        with SlackFake() as fake:
            yield fake
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl

import pytest

FAKE_TS = "1700000000.000100"
FAKE_TEAM = "T0FAKE"


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    raw: bytes

    @property
    def api_method(self) -> str:
        """The Web API method (`chat.postMessage`) at the end of the path."""
        return self.path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]

    def header(self, name: str) -> str | None:
        """Return a header by case-insensitive name."""
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)


Body = Mapping[str, Any] | str | Callable[[RecordedRequest], Mapping[str, Any]]


@dataclass(frozen=True)
class CannedResponse:
    """What the fake answers for one method: body, status, headers and a delay."""

    body: Body = field(default_factory=lambda: {"ok": True})
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0


def _posted(request: RecordedRequest) -> dict[str, Any]:
    channel = request.body.get("channel", "C0FAKE") if isinstance(request.body, dict) else ""
    return {"ok": True, "channel": channel, "ts": FAKE_TS, "message": {"ts": FAKE_TS}}


def _permalink(request: RecordedRequest) -> dict[str, Any]:
    body = request.body if isinstance(request.body, dict) else {}
    channel = body.get("channel", "C0FAKE")
    stamp = str(body.get("message_ts", FAKE_TS)).replace(".", "")
    link = f"https://fake.slack.com/archives/{channel}/p{stamp}"
    return {"ok": True, "channel": channel, "permalink": link}


def default_responses() -> dict[str, CannedResponse]:
    """Return the canned answers of a fresh fake (anything else answers `{"ok": true}`)."""
    history = {"ok": True, "messages": [], "has_more": False}
    return {
        "chat.postMessage": CannedResponse(_posted),
        "chat.getPermalink": CannedResponse(_permalink),
        "conversations.history": CannedResponse(history),
        "conversations.replies": CannedResponse(history),
        "auth.test": CannedResponse(
            {"ok": True, "user_id": "UBOT", "bot_id": "BBOT", "team_id": FAKE_TEAM}
        ),
    }


def _parse_body(content_type: str, raw: bytes) -> Any:
    """Decode a request body: JSON, form fields (one value per key), or text."""
    text = raw.decode("utf-8", errors="replace")
    if "json" in content_type:
        return json.loads(text) if text else None
    if "x-www-form-urlencoded" in content_type:
        return dict(parse_qsl(text, keep_blank_values=True))
    return text


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: SlackFake


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self._serve()

    def do_GET(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        request = RecordedRequest(
            method=self.command,
            path=self.path,
            headers=dict(self.headers.items()),
            body=_parse_body(self.headers.get("Content-Type", ""), raw),
            raw=raw,
        )
        canned = self.server.fake._record(request)
        if canned.delay and self.server.fake._stopping.wait(canned.delay):
            return
        self._answer(canned, request)

    def _answer(self, canned: CannedResponse, request: RecordedRequest) -> None:
        body = canned.body(request) if callable(canned.body) else canned.body
        if isinstance(body, str):
            data, content_type = body.encode(), "text/plain; charset=utf-8"
        else:
            data, content_type = json.dumps(body).encode(), "application/json; charset=utf-8"
        try:
            self.send_response(canned.status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in canned.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout tests)


class SlackFake:
    """A Slack Web API fake on 127.0.0.1 (random port), run in a thread; a context manager."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._responses = default_responses()
        self._queued: dict[str, deque[CannedResponse]] = {}
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> SlackFake:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Start serving on a free loopback port."""
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving; delayed answers still pending are dropped."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=2)

    @property
    def port(self) -> int:
        """The port the fake listens on."""
        assert self._server is not None, "SlackFake is not started"
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """The `base_url` to give a `WebClient` (`http://127.0.0.1:PORT/api/`)."""
        return f"http://127.0.0.1:{self.port}/api/"

    def respond(
        self,
        api_method: str,
        body: Body | None = None,
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        delay: float = 0.0,
        once: bool = False,
    ) -> None:
        """Set what `api_method` answers (for every later call, or the next one if `once`)."""
        canned = CannedResponse(
            body if body is not None else {"ok": True}, status, dict(headers or {}), delay
        )
        with self._lock:
            if once:
                self._queued.setdefault(api_method, deque()).append(canned)
            else:
                self._responses[api_method] = canned

    def paginate(self, api_method: str, pages: list[list[dict[str, Any]]]) -> None:
        """Serve `pages` of messages like Slack's cursor pagination, for every later call.

        The first page answers a request without `cursor`; page i (from 0) ends with
        `response_metadata.next_cursor` = `page-{i+1}` unless it is the last, and a request
        with `cursor=page-{i}` gets page i (an unknown cursor gets `invalid_cursor`).
        """

        def answer(request: RecordedRequest) -> dict[str, Any]:
            body = request.body if isinstance(request.body, dict) else {}
            cursor = body.get("cursor") or "page-0"
            index = int(cursor[5:]) if cursor[5:].isdigit() else -1
            if not (cursor.startswith("page-") and 0 <= index < len(pages)):
                return {"ok": False, "error": "invalid_cursor"}
            more = index + 1 < len(pages)
            return {
                "ok": True,
                "messages": pages[index],
                "has_more": more,
                "response_metadata": {"next_cursor": f"page-{index + 1}" if more else ""},
            }

        self.respond(api_method, answer)

    def calls(self, api_method: str | None = None) -> list[RecordedRequest]:
        """Return the recorded requests, optionally only those to `api_method`."""
        with self._lock:
            return [r for r in self.requests if api_method in (None, r.api_method)]

    def _record(self, request: RecordedRequest) -> CannedResponse:
        """Record a request and pick its answer (queued first, then the method's default)."""
        with self._lock:
            self.requests.append(request)
            queue = self._queued.get(request.api_method)
            if queue:
                return queue.popleft()
            return self._responses.get(request.api_method, CannedResponse())


class ResponseUrls:
    """Where the presses' `response_url` points: a loopback fake, never the internet."""

    fake: SlackFake | None = None

    @property
    def url(self) -> str:
        """The response URL of the module's fake."""
        assert self.fake is not None, "use the response_urls fixture"
        return f"http://127.0.0.1:{self.fake.port}/actions/T0/1/response"


RESPONSE_URLS = ResponseUrls()


@pytest.fixture(autouse=True, scope="module")
def response_urls() -> Iterator[SlackFake]:
    """A module's presses answer through one loopback fake (import it to use it)."""
    with SlackFake() as fake:
        RESPONSE_URLS.fake = fake
        yield fake
