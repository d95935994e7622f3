# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Injected transport faults as pywinrm sees them, on every transport; a held reply blocks no other host."""
from __future__ import annotations

import threading
import time

import pytest
import requests
from winrm.exceptions import InvalidCredentialsError, WinRMTransportError, WSManFaultError

from certops_lab.pki import LabCA
from certops_lab.wsman import LabServer
from wsman_lab import PASSWORD, USER, EchoEstate, session

TRANSPORTS = ("basic", "https", "ntlm")
HOLD_SECONDS = 2.5
CLIENT_TIMEOUTS = {"operation_timeout_sec": 1, "read_timeout_sec": 2}


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    ca = LabCA.load_or_create(str(tmp_path_factory.mktemp("ca")))
    server = LabServer(EchoEstate().runtime_for, ca=ca, timeout_hold=HOLD_SECONDS)
    for transport in TRANSPORTS:
        server.add_host(transport, transport=transport, username=USER, password=PASSWORD)
    server.start()
    yield server, ca.pem_path
    server.stop()


def client(lab, host):
    server, ca_path = lab
    return session(server, host, ca_path, **CLIENT_TIMEOUTS)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_drop_fault_closes_the_connection_without_a_reply(lab, transport):
    with pytest.raises(requests.exceptions.ConnectionError):
        client(lab, transport).run_cmd("fault drop")


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_http500_fault_is_a_soap_fault_with_status_500(lab, transport):
    with pytest.raises(WSManFaultError) as raised:
        client(lab, transport).run_cmd("fault http500")
    assert raised.value.code == 500 and "injected an HTTP 500" in raised.value.reason


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_auth_fault_is_a_401(lab, transport):
    with pytest.raises(InvalidCredentialsError):
        client(lab, transport).run_cmd("fault auth")


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_timeout_fault_holds_the_reply_past_the_client_read_timeout(lab, transport):
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        client(lab, transport).run_cmd("fault timeout")
    assert CLIENT_TIMEOUTS["read_timeout_sec"] <= time.monotonic() - started < HOLD_SECONDS + 1


def run_in_background(winrm_session, command: str, outcomes: list) -> threading.Thread:
    def target():
        try:
            outcomes.append(winrm_session.run_cmd(command).std_out)
        except requests.exceptions.ReadTimeout:
            outcomes.append("read timeout")
    thread = threading.Thread(target=target)
    thread.start()
    return thread


@pytest.mark.parametrize("command,outcome", [("fault timeout", "read timeout"), ("sleep 1.5", b"slept")])
def test_a_held_reply_or_slow_command_blocks_no_other_host(lab, command, outcome):
    outcomes = []
    busy = run_in_background(client(lab, "basic"), command, outcomes)
    time.sleep(0.3)
    started = time.monotonic()
    assert client(lab, "ntlm").run_cmd("echo").status_code == 0
    assert client(lab, "https").run_cmd("echo").status_code == 0
    assert time.monotonic() - started < 1.0 and not outcomes
    busy.join()
    assert outcomes == [outcome]


def test_ntlm_replies_are_encrypted_faults_included(lab):
    protocol = client(lab, "ntlm").protocol
    shell_id = protocol.open_shell()
    seen = []
    protocol.transport.session.hooks["response"].append(lambda reply, *args, **kwargs: seen.append(
        (reply.status_code, reply.headers["Content-Type"], b"<s:Envelope" in reply.content)))
    command_id = protocol.run_command(shell_id, "fault http500")
    with pytest.raises(WSManFaultError):
        protocol.get_command_output_raw(shell_id, command_id)
    encrypted = 'multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"'
    assert seen == [(200, encrypted, False), (500, encrypted, False)]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_runtime_bug_is_a_soap_fault_naming_the_host_and_error(lab, transport):
    with pytest.raises(WSManFaultError) as raised:
        client(lab, transport).run_cmd("crash")
    assert raised.value.code == 500 and f"The lab runtime of {transport} failed: RuntimeError: twin bug" in raised.value.reason


def test_cleanup_after_a_dropped_ntlm_connection_gets_the_bare_400_ansible_tolerates(lab):
    protocol = client(lab, "ntlm").protocol
    shell_id = protocol.open_shell()
    command_id = protocol.run_command(shell_id, "fault drop")
    with pytest.raises(requests.exceptions.ConnectionError):
        protocol.get_command_output_raw(shell_id, command_id)
    with pytest.raises(WinRMTransportError) as raised:
        protocol.cleanup_command(shell_id, command_id)
    assert raised.value.code == 400 and "could not be read" in raised.value.response_text
