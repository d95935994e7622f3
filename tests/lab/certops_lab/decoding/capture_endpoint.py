# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A minimal WS-Management endpoint (HTTP Basic on 127.0.0.1) for recording what Ansible sends.

It implements just enough of WinRS for pywinrm (Create, Command, Send, Receive, Signal, Delete;
``RelatesTo`` echoed on every reply) and hands each finished command to ``runtime.execute`` as
an ``ExecRequest``. It is the recorder's endpoint, kept independent of the lab's full server so
recording never depends on the layers under test; the lab's own server lives in
``certops_lab.wsman``.
"""
from __future__ import annotations

import base64
import threading
import uuid
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional

from certops_lab.contracts import ExecRequest

SHELL_NS = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
DONE = f"{SHELL_NS}/CommandState/Done"
ENVELOPE = ('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
            'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:rsp="' + SHELL_NS + '" '
            'xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><s:Header>'
            '<a:Action>{action}Response</a:Action><a:MessageID>uuid:{message}</a:MessageID>'
            '<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>'
            '<a:RelatesTo>{relates}</a:RelatesTo></s:Header><s:Body>{body}</s:Body></s:Envelope>')


def _find(root, suffix: str):
    return next((node for node in root.iter() if node.tag.endswith(suffix)), None)


def _text(root, suffix: str) -> Optional[str]:
    node = _find(root, suffix)
    return node.text if node is not None else None


class _Command:
    def __init__(self, request: ExecRequest, waits_for_stdin: bool):
        self.request = request
        self.waits_for_stdin = waits_for_stdin
        self.result = None
        self.finished = threading.Event()


class CaptureEndpoint:
    """One listener; ``runtime.execute(ExecRequest) -> ExecResult`` answers every command."""

    def __init__(self, runtime, user: str = "lab", password: str = "lab-password", host: str = "recorded"):
        self.runtime, self.host = runtime, host
        self.credentials = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self.commands = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def __enter__(self) -> "CaptureEndpoint":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def run(self, command: _Command) -> None:
        command.result = self.runtime.execute(command.request)
        command.finished.set()

    # --- WinRS operations: each returns the reply body ---------------------------------------
    def create(self, _root) -> str:
        shell = str(uuid.uuid4()).upper()
        return (f'<rsp:Shell><rsp:ShellId>{shell}</rsp:ShellId></rsp:Shell>'
                f'<w:SelectorSet><w:Selector Name="ShellId">{shell}</w:Selector></w:SelectorSet>')

    def command(self, root) -> str:
        options = {node.get("Name"): node.text for node in root.iter() if node.tag.endswith("Option")}
        request = ExecRequest(self.host, _text(root, "}Command") or "", _text(root, "}Arguments"))
        command_id = str(uuid.uuid4()).upper()
        self.commands[command_id] = _Command(request, options.get("WINRS_CONSOLEMODE_STDIN") == "FALSE")
        if not self.commands[command_id].waits_for_stdin:
            self.run(self.commands[command_id])
        return f"<rsp:CommandResponse><rsp:CommandId>{command_id}</rsp:CommandId></rsp:CommandResponse>"

    def send(self, root) -> str:
        stream = _find(root, "}Stream")
        command = self.commands[stream.get("CommandId")]
        command.request.stdin += base64.b64decode(stream.text or "")
        if (stream.get("End") or "").lower() == "true":
            self.run(command)
        return "<rsp:SendResponse/>"

    def receive(self, root) -> str:
        command_id = _find(root, "}DesiredStream").get("CommandId")
        command = self.commands[command_id]
        command.finished.wait(30)
        result = command.result
        streams = "".join(f'<rsp:Stream Name="{name}" CommandId="{command_id}">{base64.b64encode(data).decode()}</rsp:Stream>'
                          for name, data in (("stdout", result.stdout), ("stderr", result.stderr)) if data)
        return (f'<rsp:ReceiveResponse>{streams}<rsp:CommandState CommandId="{command_id}" State="{DONE}">'
                f'<rsp:ExitCode>{result.rc}</rsp:ExitCode></rsp:CommandState></rsp:ReceiveResponse>')

    def signal(self, root) -> str:
        self.commands.pop(_find(root, "}Signal").get("CommandId"), None)
        return "<rsp:SignalResponse/>"

    def delete(self, _root) -> str:
        return ""

    def reply(self, body: bytes) -> bytes:
        root = ET.fromstring(body)
        action = _text(root, "}Action") or ""
        operation = getattr(self, action.rsplit("/", 1)[-1].lower())
        return ENVELOPE.format(action=action, message=uuid.uuid4(), relates=_text(root, "}MessageID"),
                               body=operation(root)).encode()


def _handler_for(endpoint: CaptureEndpoint):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):  # pylint: disable=invalid-name
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.headers.get("Authorization") != endpoint.credentials:
                self.answer(401, b"", {"WWW-Authenticate": 'Basic realm="WSMAN"'})
                return
            self.answer(200, endpoint.reply(body), {"Content-Type": "application/soap+xml;charset=UTF-8"})

        def answer(self, status: int, payload: bytes, headers: dict) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):  # quiet: the recorder reports per scenario
            return None

    return Handler
