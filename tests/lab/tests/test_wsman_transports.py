# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The WS-Man server against real pywinrm clients on 127.0.0.1, over Basic, HTTPS and NTLM."""
from __future__ import annotations

import hashlib
import re

import pytest
import requests
import xmltodict
from winrm.exceptions import InvalidCredentialsError, WinRMOperationTimeoutError, WinRMTransportError, WSManFaultError

from certops_lab.pki import LabCA
from certops_lab.wsman import LabServer
from certops_lab.wsman.shells import CHUNK_BYTES, MAX_SHELLS
from wsman_lab import PASSWORD, USER, EchoEstate, pattern, run, session

TRANSPORTS = ("basic", "https", "ntlm")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """One server, one host per transport (named after it) plus a second basic host."""
    ca = LabCA.load_or_create(str(tmp_path_factory.mktemp("ca")))
    estate = EchoEstate()
    server = LabServer(estate.runtime_for, ca=ca, long_poll=0.3)
    for transport in TRANSPORTS:
        server.add_host(transport, transport=transport, username=USER, password=PASSWORD)
    server.start()
    server.add_host("basic-late", transport="basic", username="other", password="Other-Passw0rd!")
    server.add_host("ntlm-late", transport="ntlm", username="other", password="Other-Passw0rd!")
    server.add_host("ntlm-colon", transport="ntlm", username="colon", password="Pa:ss:w0rd")
    yield server, estate, ca.pem_path
    server.stop()


def client(lab, host, **options):
    server, ca_path = lab[0], lab[2]
    return session(server, host, ca_path, **options)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_command_without_stdin_returns_stdout_stderr_and_rc(lab, transport):
    result = client(lab, transport).run_cmd("echo", ["one", "two"])
    assert (result.std_out, result.std_err, result.status_code) == (b"cmd=echo args=one two stdin=", b"err:echo", 0)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_nonzero_exit_code_reaches_the_client(lab, transport):
    assert client(lab, transport).run_cmd("rc 7").status_code == 7


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_command_with_stdin_runs_when_stdin_ends(lab, transport):
    stdout, stderr, rc = run(client(lab, transport), "echo", [b"first ", b"second"])
    assert (stdout, stderr, rc) == (b"cmd=echo args=None stdin=first second", b"err:echo", 0)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_large_stdin_over_several_sends_and_large_output_round_trip(lab, transport):
    data = pattern(450_000) + b"\x00\xff tail"
    chunks = [data[start:start + 200_000] for start in range(0, len(data), 200_000)]
    stdout, stderr, rc = run(client(lab, transport), "sha", chunks)
    assert (stdout, stderr, rc) == (f"{hashlib.sha1(data).hexdigest()} {len(data)}".encode(), b"", 0)
    big = client(lab, transport).run_cmd("big 250000")
    assert (big.std_out, big.std_err) == (pattern(250_000), pattern(125_000))


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_wrong_credentials_are_rejected_with_401(lab, transport):
    with pytest.raises(InvalidCredentialsError):
        client(lab, transport, password="wrong").run_cmd("echo")


@pytest.mark.parametrize("host", ["basic-late", "ntlm-late"])
def test_user_of_another_host_is_rejected_with_401(lab, host):
    with pytest.raises(InvalidCredentialsError):
        client(lab, host).run_cmd("echo")


def test_ntlm_password_with_colons_authenticates(lab):
    assert client(lab, "ntlm-colon", user="colon", password="Pa:ss:w0rd").run_cmd("echo").status_code == 0
    with pytest.raises(InvalidCredentialsError):
        client(lab, "ntlm-colon", user="colon", password="Pa:ss").run_cmd("echo")


def test_ntlm_user_with_two_passwords_in_one_process_is_refused(lab):
    with pytest.raises(ValueError, match="NTLM user 'other' already has another password in this process"):
        lab[0].add_host("ntlm-clash", transport="ntlm", username="other", password="Third-Passw0rd!")


def test_missing_credentials_get_a_basic_challenge(lab):
    server = lab[0]
    reply = requests.post(f"http://127.0.0.1:{server.endpoints['basic']['port']}/wsman", data=b"<x/>", timeout=10)
    assert reply.status_code == 401 and reply.headers["WWW-Authenticate"] == 'Basic realm="WSMAN"'


def test_unencrypted_body_on_ntlm_host_is_refused(lab):
    with pytest.raises(WSManFaultError) as raised:
        client(lab, "ntlm", message_encryption="never").run_cmd("echo")
    assert raised.value.code == 400 and "Unencrypted traffic is disabled" in str(raised.value)
    assert isinstance(raised.value.__context__, WinRMTransportError)


def test_https_validates_against_the_lab_ca(lab):
    result = client(lab, "https", server_cert_validation="validate").run_cmd("echo")
    assert result.status_code == 0


def test_https_fails_against_another_ca(lab, tmp_path):
    other = LabCA.load_or_create(str(tmp_path / "other-ca"))
    with pytest.raises(requests.exceptions.SSLError):
        client(lab, "https", ca_trust_path=other.pem_path).run_cmd("echo")


def test_server_certificate_names_localhost_and_loopback(lab):
    server = lab[0]
    port = server.endpoints["https"]["port"]
    reply = requests.post(f"https://localhost:{port}/wsman", data=b"", verify=lab[2], timeout=10)
    assert reply.status_code == 401


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_relates_to_echoes_the_message_id_on_every_reply(lab, transport):
    winrm_session = client(lab, transport)
    exchanges = []
    send_message = winrm_session.protocol.send_message

    def recording(message):
        reply = send_message(message)
        exchanges.append((message, reply))
        return reply
    winrm_session.protocol.send_message = recording
    run(winrm_session, "echo", [b"x"])
    assert len(exchanges) == 6   # Create, Command, Send, Receive, Signal, Delete
    for message, reply in exchanges:
        message_id = re.search(r"MessageID>(uuid:[^<]+)<", message).group(1)
        assert f"RelatesTo>{message_id}<".encode() in reply


def test_end_attribute_is_case_insensitive(lab):
    winrm_session = client(lab, "basic")
    send_message = winrm_session.protocol.send_message
    winrm_session.protocol.send_message = lambda message: send_message(message.replace('End="true"', 'End="True"'))
    assert run(winrm_session, "echo", [b"abc"])[0] == b"cmd=echo args=None stdin=abc"


def test_output_is_handed_out_in_64kb_chunks_with_state_running(lab):
    protocol = client(lab, "basic").protocol
    shell_id = protocol.open_shell()
    command_id = protocol.run_command(shell_id, "big 200000")
    receives = []
    while not receives or not receives[-1][3]:
        receives.append(protocol.get_command_output_raw(shell_id, command_id))
    protocol.cleanup_command(shell_id, command_id)
    protocol.close_shell(shell_id)
    assert [len(item[0]) for item in receives] == [CHUNK_BYTES] * 3 + [200_000 - 3 * CHUNK_BYTES]
    assert [item[3] for item in receives] == [False, False, False, True]
    assert b"".join(item[1] for item in receives) == pattern(100_000)


def test_receive_long_polls_with_operation_timeout_while_command_runs(lab):
    protocol = client(lab, "basic").protocol
    shell_id = protocol.open_shell()
    command_id = protocol.run_command(shell_id, "sleep 1.5")
    with pytest.raises(WinRMOperationTimeoutError):
        protocol.get_command_output_raw(shell_id, command_id)
    assert protocol.get_command_output(shell_id, command_id) == (b"slept", b"", 0)
    protocol.close_shell(shell_id)


def test_receive_before_stdin_ends_gets_operation_timeout(lab):
    protocol = client(lab, "basic").protocol
    shell_id = protocol.open_shell()
    command_id = protocol.run_command(shell_id, "echo", console_mode_stdin=False)
    with pytest.raises(WinRMOperationTimeoutError):
        protocol.get_command_output_raw(shell_id, command_id)
    protocol.send_command_input(shell_id, command_id, b"late", end=True)
    assert protocol.get_command_output(shell_id, command_id)[0] == b"cmd=echo args=None stdin=late"
    protocol.close_shell(shell_id)


def test_unknown_shell_gives_a_wsman_fault(lab):
    protocol = client(lab, "basic").protocol
    with pytest.raises(WSManFaultError) as raised:
        protocol.run_command("00000000-0000-0000-0000-000000000000", "echo")
    assert raised.value.code == 500 and raised.value.wsman_fault_code == 2150858843


def test_each_host_keeps_its_own_shells(lab):
    shell_id = client(lab, "basic").protocol.open_shell()
    with pytest.raises(WSManFaultError):
        client(lab, "ntlm").protocol.run_command(shell_id, "echo")


def test_runtime_sees_host_command_arguments_and_stdin(lab):
    estate = lab[1]
    run(client(lab, "ntlm"), "echo", [b"payload"], arguments=["-EncodedCommand", "abc"])
    request = estate.hosts["ntlm"].requests[-1]
    assert (request.host, request.command, request.arguments, request.stdin) == ("ntlm", "echo", "-EncodedCommand abc", b"payload")


def test_add_host_on_a_taken_port_raises_oserror(lab):
    server = lab[0]
    with pytest.raises(OSError):
        server.add_host("clash", port=server.endpoints["basic"]["port"], username=USER, password=PASSWORD)


def test_unknown_transport_is_refused_with_the_choices(lab):
    server = lab[0]
    with pytest.raises(ValueError, match="use one of basic, https, ntlm"):
        server.add_host("kerb", transport="kerberos", username=USER, password=PASSWORD)


def test_endpoints_describe_every_host(lab):
    server = lab[0]
    assert {name: (item["scheme"], item["transport"]) for name, item in server.endpoints.items()} == {
        "basic": ("http", "basic"), "https": ("https", "https"), "ntlm": ("http", "ntlm"), "basic-late": ("http", "basic"),
        "ntlm-late": ("http", "ntlm"), "ntlm-colon": ("http", "ntlm")}


def test_delete_drops_the_shell(lab):
    protocol = client(lab, "basic").protocol
    shell_id = protocol.open_shell()
    protocol.close_shell(shell_id)
    with pytest.raises(WSManFaultError) as raised:
        protocol.run_command(shell_id, "echo")
    assert raised.value.wsman_fault_code == 2150858843


def test_signal_ends_the_command(lab):
    protocol = client(lab, "basic").protocol
    shell_id = protocol.open_shell()
    command_id = protocol.run_command(shell_id, "echo")
    protocol.cleanup_command(shell_id, command_id)
    with pytest.raises(WSManFaultError, match=f"The command {command_id} is not running"):
        protocol.get_command_output_raw(shell_id, command_id)
    protocol.close_shell(shell_id)


@pytest.mark.parametrize("method,path,status", [("GET", "/wsman", 405), ("POST", "/other", 404)])
def test_only_posts_to_wsman_are_served(lab, method, path, status):
    port = lab[0].endpoints["basic"]["port"]
    assert requests.request(method, f"http://127.0.0.1:{port}{path}", auth=(USER, PASSWORD), timeout=10).status_code == status


def test_a_body_that_is_not_xml_is_a_400_fault(lab):
    port = lab[0].endpoints["basic"]["port"]
    reply = requests.post(f"http://127.0.0.1:{port}/wsman", data=b"not xml", auth=(USER, PASSWORD), timeout=10)
    assert reply.status_code == 400 and b"not well-formed" in reply.content


def test_an_unknown_action_is_a_fault_that_names_it(lab):
    protocol = client(lab, "basic").protocol
    shell_id = protocol.open_shell()
    envelope = protocol.build_wsman_header("http://schemas.xmlsoap.org/ws/2004/09/transfer/Get",
                                           "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd", shell_id)
    envelope["env:Body"] = {}
    with pytest.raises(WSManFaultError, match="transfer/Get' is not supported"):
        protocol.send_message(xmltodict.unparse({"env:Envelope": envelope}))


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("user", ["ANSIBLE", "LAB\\ansible"])
def test_user_name_may_carry_the_domain_and_any_case(lab, transport, user):
    assert client(lab, transport, user=user).run_cmd("echo").status_code == 0


def test_https_host_without_a_ca_is_refused_with_the_fix():
    server = LabServer(EchoEstate().runtime_for)
    with pytest.raises(ValueError, match=r"host 'web' uses https, which needs the lab CA: create LabServer\(..., ca="):
        server.add_host("web", transport="https", username=USER, password=PASSWORD)
    assert not server.endpoints and server.cpu_seconds() == 0.0


def test_abandoned_shells_are_bounded_oldest_first(lab):
    protocol = client(lab, "basic").protocol
    shell_ids = [protocol.open_shell() for attempt in range(MAX_SHELLS + 1)]
    with pytest.raises(WSManFaultError):
        protocol.run_command(shell_ids[0], "echo")
    assert protocol.run_command(shell_ids[-1], "echo")
    for shell_id in shell_ids[-MAX_SHELLS:]:
        protocol.close_shell(shell_id)
