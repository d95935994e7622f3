# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Support for the WS-Man server tests: an echo runtime and pywinrm sessions per transport.

The echo runtime understands a tiny command language, so a test controls the reply from the client:

    echo ARGS         stdout = "cmd=<command> args=<arguments> stdin=<stdin>", stderr = "err:<command>", rc = 0
    rc N              rc = N, stdout = "rc", stderr = "failing"
    big N             stdout = N bytes (a repeating pattern), stderr = N // 2 bytes
    sha               stdout = sha1 of stdin (lower hex) and its length
    sleep S           sleeps S seconds, then stdout = "slept"
    fault KIND        raises InjectedFault(KIND)
    crash             raises RuntimeError (a bug in a twin)
"""
from __future__ import annotations

import hashlib
import time

import winrm

from certops_lab.contracts import ExecRequest, ExecResult, InjectedFault

USER = "ansible"
PASSWORD = "Lab-Passw0rd!"
PATTERN = b"0123456789abcdef"


def pattern(size: int) -> bytes:
    return (PATTERN * (size // len(PATTERN) + 1))[:size]


class EchoRuntime:
    """A host runtime whose answers are a function of the command, for wire tests."""

    def __init__(self, name: str):
        self.name = name
        self.requests: list = []

    def execute(self, request: ExecRequest) -> ExecResult:
        self.requests.append(request)
        verb, rest = request.command.partition(" ")[::2]
        if verb == "rc":
            return ExecResult(stdout=b"rc", stderr=b"failing", rc=int(rest))
        if verb == "big":
            return ExecResult(stdout=pattern(int(rest)), stderr=pattern(int(rest) // 2))
        if verb == "sha":
            return ExecResult(stdout=f"{hashlib.sha1(request.stdin).hexdigest()} {len(request.stdin)}".encode())
        if verb == "sleep":
            time.sleep(float(rest))
            return ExecResult(stdout=b"slept")
        if verb == "fault":
            raise InjectedFault(rest)
        if verb == "crash":
            raise RuntimeError("twin bug")
        stdout = f"cmd={request.command} args={request.arguments} stdin=".encode() + request.stdin
        return ExecResult(stdout=stdout, stderr=f"err:{request.command}".encode(), rc=0)


class EchoEstate:
    """``runtime_for`` of a set of echo hosts, created on first use."""

    def __init__(self):
        self.hosts: dict = {}

    def runtime_for(self, name: str) -> EchoRuntime:
        return self.hosts.setdefault(name, EchoRuntime(name))


def session(server, host: str, ca_path: str = "", password: str = PASSWORD, user: str = USER, **options) -> winrm.Session:
    """A pywinrm session to one lab host, configured as the lab inventory configures Ansible."""
    endpoint = server.endpoints[host]
    url = f"{endpoint['scheme']}://127.0.0.1:{endpoint['port']}/wsman"
    transport = {"basic": "basic", "https": "ssl", "ntlm": "ntlm"}[endpoint["transport"]]
    if endpoint["transport"] == "ntlm":
        options.setdefault("message_encryption", "always")
    if endpoint["transport"] == "https":
        options.setdefault("server_cert_validation", "validate")
        options.setdefault("ca_trust_path", ca_path)
    return winrm.Session(url, auth=(user, password), transport=transport, **options)


def run(client: winrm.Session, command: str, stdin_chunks=(), arguments=()) -> tuple:
    """Run one command as Ansible does (Create, Command, Send*, Receive+, Signal, Delete): (stdout, stderr, rc)."""
    protocol = client.protocol
    shell_id = protocol.open_shell(codepage=65001)
    try:
        command_id = protocol.run_command(shell_id, command, list(arguments), console_mode_stdin=not stdin_chunks)
        try:
            for index, chunk in enumerate(stdin_chunks):
                protocol.send_command_input(shell_id, command_id, chunk, end=index == len(stdin_chunks) - 1)
            return protocol.get_command_output(shell_id, command_id)
        finally:
            protocol.cleanup_command(shell_id, command_id)
    finally:
        protocol.close_shell(shell_id)
