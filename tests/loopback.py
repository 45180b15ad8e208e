"""A recorded web service on 127.0.0.1 for the tests of the fetch commands (`fetch-cbs`,
`fetch-cbs-map`): the tests never reach the internet, and the clients under test talk real HTTP
to a real server."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# path and query of a request -> (status, body, headers)
Answer = Callable[[str], tuple[int, bytes, dict[str, str]]]


@contextmanager
def serve(answer: Answer) -> Iterator[str]:
    """Serve GET requests with `answer` on a free port of 127.0.0.1; yields http://127.0.0.1:<port>."""

    class Handler(BaseHTTPRequestHandler):
        timeout = 5  # a stuck client cannot hold the test

        def do_GET(self):
            status, data, headers = answer(self.path)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def closed_port() -> int:
    """A port of 127.0.0.1 where nothing listens (as a machine without internet answers)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the block ends
