# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The WinRS shell and command state machine of one simulated host (winrm-wire.md §3 and §11).

``HostShells.handle(request)`` answers one parsed WS-Man request with a reply envelope. It runs on
the server's event loop; the command itself runs through ``start_exec`` (the server hands the
runtime call to a worker thread), so a slow twin never blocks a listener.

A command runs when its stdin ``End`` arrives, or at Command time when WINRS_CONSOLEMODE_STDIN is
TRUE. Receive long-polls for the outcome and answers the OperationTimeout fault when the wait runs
out (pywinrm retries silently); the output is handed out in 64 KB slices per stream with state
Running, and the last Receive says Done with the exit code. An ``InjectedFault`` raised by the
runtime leaves ``handle`` as is, for the server to turn into wire behaviour.
"""
from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import uuid
from typing import Awaitable, Callable, Optional

from certops_lab.contracts import ExecRequest, ExecResult, InjectedFault
from certops_lab.wsman import soap

CHUNK_BYTES = 64 * 1024
# Shells a client abandoned (a dropped connection, reset_connection) are never deleted; past this
# many per host the oldest goes. Ansible holds one shell per host per fork at a time.
MAX_SHELLS = 100
MIN_WAIT = 0.1            # seconds; keeps a client with a tiny OperationTimeout from spinning
log = logging.getLogger(__name__)
RSP = "{%s}" % soap.NS["rsp"]


def _attribute(element, name: str) -> Optional[str]:
    """An attribute by local name, whatever its namespace (clients differ)."""
    for key, value in element.attrib.items():
        if key.rsplit("}", 1)[-1] == name:
            return value
    return None


class Command:
    """One WinRS command: stdin collected so far, its outcome future and what was handed out."""

    def __init__(self, command_id: str, command: str, arguments: Optional[str], loop: asyncio.AbstractEventLoop):
        self.id = command_id
        self.command = command
        self.arguments = arguments
        self.stdin = bytearray()
        self.started = False
        self.outcome: asyncio.Future = loop.create_future()
        self.sent = {"stdout": 0, "stderr": 0}

    def adopt(self, execution: Awaitable) -> None:
        """Forward the worker's result (or exception) to ``outcome``, which Receive waits on."""
        self.started = True
        asyncio.ensure_future(execution).add_done_callback(self._finish)

    def _finish(self, execution: asyncio.Future) -> None:
        if self.outcome.done():
            return
        error = execution.exception()
        if error is not None:
            self.outcome.set_exception(error)
        else:
            self.outcome.set_result(execution.result())

    def discard(self) -> None:
        """Forget the outcome without an 'exception never retrieved' warning."""
        if self.outcome.done():
            self.outcome.exception()
        else:
            self.outcome.cancel()

    def next_slice(self, result: ExecResult) -> tuple:
        """(stdout bytes, stderr bytes, finished) for the next Receive."""
        pieces = []
        for name, data in (("stdout", result.stdout), ("stderr", result.stderr)):
            start = self.sent[name]
            pieces.append(data[start:start + CHUNK_BYTES])
            self.sent[name] = start + len(pieces[-1])
        finished = self.sent["stdout"] >= len(result.stdout) and self.sent["stderr"] >= len(result.stderr)
        return pieces[0], pieces[1], finished


class HostShells:
    """Shells and commands of one host. ``start_exec(ExecRequest)`` returns an awaitable of ExecResult."""

    def __init__(self, host: str, address: str, start_exec: Callable[[ExecRequest], Awaitable], long_poll: float = 3.0):
        self.host = host
        self.address = address
        self.start_exec = start_exec
        self.long_poll = long_poll
        self.shells: dict = {}
        self.operations = {soap.ACTION_CREATE: self.create, soap.ACTION_COMMAND: self.command, soap.ACTION_SEND: self.send,
                           soap.ACTION_RECEIVE: self.receive, soap.ACTION_SIGNAL: self.signal, soap.ACTION_DELETE: self.delete}

    async def handle(self, request: soap.WsmanRequest) -> bytes:
        operation = self.operations.get(request.action)
        if operation is None:
            raise soap.SoapError(f"The action {request.action!r} is not supported by this lab host.",
                                 code=soap.CODE_ACTION_NOT_SUPPORTED, subcode="a:ActionNotSupported")
        body = await operation(request)
        return soap.envelope(request.action + "Response", request.message_id, body)

    # --- lookups -------------------------------------------------------------------------------
    def _shell(self, request: soap.WsmanRequest) -> dict:
        shell = self.shells.get(request.shell_id)
        if shell is None:
            raise soap.shell_not_found(request.shell_id)
        return shell

    def _command(self, request: soap.WsmanRequest, element) -> Command:
        command_id = _attribute(element, "CommandId") if element is not None else None
        command = self._shell(request).get(command_id)
        if command is None:
            raise soap.SoapError(f"The command {command_id} is not running in shell {request.shell_id}.",
                                 code=soap.CODE_SHELL_NOT_FOUND, subcode="w:InvalidSelectors")
        return command

    # --- operations ----------------------------------------------------------------------------
    async def create(self, request: soap.WsmanRequest) -> str:
        shell_id = str(uuid.uuid4()).upper()
        if len(self.shells) >= MAX_SHELLS:
            self._forget(next(iter(self.shells)))
        self.shells[shell_id] = {}
        return soap.create_response(self.address, shell_id)

    async def command(self, request: soap.WsmanRequest) -> str:
        shell = self._shell(request)
        line = request.body_child()
        if line is None or line.find(RSP + "Command") is None:
            raise soap.SoapError("The Command request has no rsp:CommandLine/rsp:Command.", subcode="w:SchemaValidationError", status=400)
        arguments = [item.text or "" for item in line.findall(RSP + "Arguments")]
        command_id = (_attribute(line, "CommandId") or str(uuid.uuid4())).upper()
        command = Command(command_id, line.find(RSP + "Command").text or "", " ".join(arguments) if arguments else None,
                          asyncio.get_running_loop())
        shell[command_id] = command
        if request.options.get("WINRS_CONSOLEMODE_STDIN", "").upper() == "TRUE":
            self._run(command)
        return soap.command_response(command_id)

    async def send(self, request: soap.WsmanRequest) -> str:
        element = request.body_child()
        for item in element.findall(RSP + "Stream") if element is not None else ():
            command = self._command(request, item)
            command.stdin += _decode_base64(item.text)
            if (_attribute(item, "End") or "").lower() == "true" and not command.started:
                self._run(command)
        return "<rsp:SendResponse/>"

    async def receive(self, request: soap.WsmanRequest) -> str:
        element = request.body_child()
        desired = element.find(RSP + "DesiredStream") if element is not None else None
        command = self._command(request, desired)
        result = await self._outcome(command, request)
        stdout, stderr, finished = command.next_slice(result)
        streams = soap.stream("stdout", command.id, base64.b64encode(stdout).decode()) if stdout else ""
        streams += soap.stream("stderr", command.id, base64.b64encode(stderr).decode()) if stderr else ""
        if not finished:
            return soap.receive_response(command.id, streams, None)
        streams += soap.stream("stdout", command.id, "", end=True) + soap.stream("stderr", command.id, "", end=True)
        return soap.receive_response(command.id, streams, result.rc)

    async def signal(self, request: soap.WsmanRequest) -> str:
        element = request.body_child()
        command = self._shell(request).pop(_attribute(element, "CommandId") if element is not None else None, None)
        if command is not None:
            command.discard()
        return "<rsp:SignalResponse/>"

    async def delete(self, request: soap.WsmanRequest) -> str:
        self._shell(request)
        self._forget(request.shell_id)
        return ""

    def _forget(self, shell_id: str) -> None:
        for command in self.shells.pop(shell_id).values():
            command.discard()

    # --- execution -----------------------------------------------------------------------------
    def _run(self, command: Command) -> None:
        command.adopt(self.start_exec(ExecRequest(self.host, command.command, command.arguments, bytes(command.stdin))))

    def _wait_limit(self, request: soap.WsmanRequest) -> float:
        """The long-poll wait: ours, but never longer than the client's OperationTimeout allows."""
        if request.operation_timeout:
            return max(MIN_WAIT, min(self.long_poll, request.operation_timeout - 1.0))
        return self.long_poll

    async def _outcome(self, command: Command, request: soap.WsmanRequest) -> ExecResult:
        try:
            return await asyncio.wait_for(asyncio.shield(command.outcome), self._wait_limit(request))
        except asyncio.TimeoutError:
            raise soap.operation_timeout() from None
        except InjectedFault:
            raise
        except Exception as error:  # pylint: disable=broad-exception-caught  # any runtime bug becomes a visible fault
            log.exception("runtime of %s failed", self.host)
            raise soap.SoapError(f"The lab runtime of {self.host} failed: {type(error).__name__}: {error}") from error


def _decode_base64(text: Optional[str]) -> bytes:
    try:
        return base64.b64decode(text or "", validate=False)
    except (binascii.Error, ValueError):
        raise soap.SoapError("A stdin stream is not valid base64.", subcode="w:SchemaValidationError", status=400) from None
