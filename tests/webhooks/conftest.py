"""A real HTTP receiver on 127.0.0.1 for webhook tests, answering as each test programs it."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    at: float = 0.0  # time.time() when the request arrived


@dataclass
class Answer:
    status: int = 200
    headers: dict = field(default_factory=dict)
    body: bytes = b"ok"
    delay: float = 0.0
    drip: float = 0.0  # send the whole answer a byte at a time, this many seconds apart


class Receiver:
    """Records every request; answers with queued ``Answer``s, then with ``default``."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.answers: deque[Answer] = deque()
        self.default = Answer()
        self.lock = threading.Lock()
        self.in_flight = self.most_in_flight = 0  # requests being answered at once
        self.released = threading.Event()  # set: a delayed answer is sent at once
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server hook name
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                with receiver.lock:
                    receiver.requests.append(
                        Received(
                            self.path,
                            {k.lower(): v for k, v in self.headers.items()},
                            body,
                            time.time(),
                        )
                    )
                    answer = receiver.answers.popleft() if receiver.answers else receiver.default
                    receiver.in_flight += 1
                    receiver.most_in_flight = max(receiver.most_in_flight, receiver.in_flight)
                if answer.delay:
                    # The slow receiver under test, not a test sleep; ``released`` ends it.
                    receiver.released.wait(answer.delay)
                with receiver.lock:
                    receiver.in_flight -= 1
                if answer.drip:
                    self._drip(answer)
                    return
                try:
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("content-length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _drip(self, answer: Answer) -> None:
                head = f"HTTP/1.1 {answer.status} X\r\ncontent-length: {len(answer.body)}\r\n\r\n"
                try:
                    for byte in head.encode() + answer.body:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(answer.drip)  # the slow receiver under test
                except (BrokenPipeError, ConnectionResetError):
                    pass
                self.close_connection = True

            def log_message(self, format, *args):  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def answer(self, status: int = 200, *, headers=None, body: bytes = b"ok", delay=0.0, drip=0.0):
        self.answers.append(Answer(status, headers or {}, body, delay, drip))

    def always(self, status: int = 200, *, headers=None, body: bytes = b"ok", delay=0.0):
        self.default = Answer(status, headers or {}, body, delay)


def _serving():
    receiver = Receiver()
    receiver.thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def receiver():
    yield from _serving()


@pytest.fixture
def other_receiver():
    """A second receiver, for a second endpoint."""
    yield from _serving()


@pytest.fixture
def make_endpoint(merchant, receiver):
    """Register an endpoint (default: the receiver, all events); return (endpoint, secret)."""
    from webhooks.services import webhook_endpoint_create

    def make(**kwargs):
        params = {
            "merchant": merchant,
            "livemode": False,
            "url": receiver.url,
            "enabled_events": ["*"],
        }
        params.update(kwargs)
        return webhook_endpoint_create(**params)

    return make


def _client_for(merchant, *, livemode: bool = False):
    from rest_framework.test import APIClient

    from payments.services import api_key_create

    _, raw = api_key_create(merchant=merchant, livemode=livemode)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def api(merchant):
    """An API client with the merchant's test key."""
    return _client_for(merchant)


@pytest.fixture
def other_api(other_merchant):
    """An API client with another merchant's test key."""
    return _client_for(other_merchant)


def current_code(client) -> str:
    """Return the current authenticator code of the staff user ``client`` is signed in as."""
    from django.contrib.auth import get_user_model

    from tests.admin.conftest import totp_now

    return totp_now(get_user_model().objects.get(pk=client.session["_auth_user_id"]))
