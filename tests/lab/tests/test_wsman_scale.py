# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Scale: 200 hosts (all three transports) served to 50 parallel pywinrm clients without a failed request.

Each client task is what Ansible does per task: a new pywinrm session (new TCP connection, TLS or
NTLM handshake), Create, Command, Send, Receive, Signal, Delete. Run with ``-s`` to see the figures.
"""
from __future__ import annotations

import concurrent.futures
import os
import time

import pytest

from certops_lab.pki import LabCA
from certops_lab.wsman import LabServer
from wsman_lab import PASSWORD, USER, EchoEstate, run, session

HOSTS = 200
FORKS = 50
ROUNDS = 2
REQUESTS_PER_TASK = 6
TRANSPORTS = ("basic", "https", "ntlm")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    ca = LabCA.load_or_create(str(tmp_path_factory.mktemp("ca")))
    server = LabServer(EchoEstate().runtime_for, ca=ca)
    for index in range(HOSTS):
        server.add_host(f"node{index:03d}", transport=TRANSPORTS[index % len(TRANSPORTS)], username=USER, password=PASSWORD)
    server.start()
    yield server, ca.pem_path
    server.stop()


def one_task(lab, host: str) -> bool:
    server, ca_path = lab
    payload = f"payload for {host}".encode()
    stdout, stderr, rc = run(session(server, host, ca_path), "echo", [payload])
    return rc == 0 and stdout.endswith(payload) and stderr == b"err:echo"


@pytest.mark.slow
def test_200_hosts_with_50_parallel_clients_have_no_failed_request(lab):
    server = lab[0]
    hosts = list(server.endpoints) * ROUNDS
    cpu_before, server_cpu_before, started = time.process_time(), server.cpu_seconds(), time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=FORKS) as pool:
        outcomes = list(pool.map(lambda host: one_task(lab, host), hosts))
    elapsed = time.monotonic() - started
    server_cpu = server.cpu_seconds() - server_cpu_before
    process_cpu = time.process_time() - cpu_before
    requests_done = len(hosts) * REQUESTS_PER_TASK
    print(f"\n{len(hosts)} tasks, {requests_done} WS-Man requests in {elapsed:.2f} s: {requests_done / elapsed:.0f} requests/s; "
          f"server loop CPU {server_cpu:.2f} s of {process_cpu:.2f} s process CPU (clients included), pid {os.getpid()}")
    assert outcomes == [True] * len(hosts)
    assert server_cpu < process_cpu / 2
