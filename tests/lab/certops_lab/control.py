# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The control channel between the CLI and a running lab.

JSON over HTTP on 127.0.0.1: ``POST /control`` with header ``X-Certops-Lab-Token`` and a body
``{"op": "<name>", "args": {...}}``; the reply is ``{"ok": true, "result": ...}`` or
``{"ok": false, "error": "<message>"}``. The port and a random token are in ``DIR/control.json``
(mode 0600), so only the user who started the lab can drive it.
"""
from __future__ import annotations

import hmac
import http.client
import json
import os
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

CONTROL_FILE = "control.json"
TOKEN_HEADER = "X-Certops-Lab-Token"


class ControlError(RuntimeError):
    """The lab refused or could not answer a control request."""


def write_private_json(path: str, data: dict) -> None:
    descriptor = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    os.replace(path + ".tmp", path)


class _Handler(BaseHTTPRequestHandler):
    server: "ControlServer"

    def do_POST(self):  # pylint: disable=invalid-name
        if not hmac.compare_digest(self.headers.get(TOKEN_HEADER, ""), self.server.token):
            return self._reply(403, {"ok": False, "error": "wrong control token"})
        try:
            request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
            result = self.server.dispatch(request.get("op", ""), request.get("args") or {})
        except Exception as error:  # pylint: disable=broad-exception-caught
            message = error.args[0] if isinstance(error, KeyError) and error.args else str(error)
            return self._reply(400, {"ok": False, "error": message})
        return self._reply(200, {"ok": True, "result": result})

    def _reply(self, status: int, body: dict) -> None:
        payload = json.dumps(body, default=str).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """Quiet: the control channel is not part of the audit."""


class ControlServer(ThreadingHTTPServer):
    """Serves ``handlers[op](**args)`` to holders of the token."""
    daemon_threads = True

    def __init__(self, handlers: dict):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.handlers = handlers
        self.token = secrets.token_urlsafe(32)
        self._thread = threading.Thread(target=self.serve_forever, name="certops-lab-control", daemon=True)

    def dispatch(self, op: str, args: dict):
        handler: Callable = self.handlers.get(op)
        if handler is None:
            raise ControlError(f"unknown control operation {op!r}: use one of {', '.join(sorted(self.handlers))}")
        return handler(**args)

    def start(self, state_dir: str) -> None:
        self._thread.start()
        write_private_json(os.path.join(state_dir, CONTROL_FILE), {"port": self.server_address[1], "token": self.token,
                                                                   "pid": os.getpid()})

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def read_control(state_dir: str) -> dict:
    path = os.path.join(state_dir, CONTROL_FILE)
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        raise ControlError(f"no lab is running with state dir {state_dir}: start one with `up TOPOLOGY --state-dir {state_dir}`") from None


def call(state_dir: str, op: str, timeout: float = 60.0, **args):
    """Run one control operation on the lab of ``state_dir`` and return its result."""
    control = read_control(state_dir)
    connection = http.client.HTTPConnection("127.0.0.1", control["port"], timeout=timeout)
    try:
        connection.request("POST", "/control", json.dumps({"op": op, "args": args}),
                           {TOKEN_HEADER: control["token"], "Content-Type": "application/json"})
        reply = json.loads(connection.getresponse().read())
    except (OSError, ValueError) as error:
        raise ControlError(f"the lab of {state_dir} does not answer ({error}); if it died, remove {CONTROL_FILE} there and run `up` again") from None
    finally:
        connection.close()
    if not reply.get("ok"):
        raise ControlError(reply.get("error", "the lab refused the request"))
    return reply["result"]
