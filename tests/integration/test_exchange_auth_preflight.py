# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The exchange_auth role refuses bad inputs and unfit organisations before any change, each with one clear message.

One lab serves every case: the current Auth certificate has 40 days left, so every run would stage a new one
(MEAC's scenario 2) if its preflight let it. Extra inventory groups add a computer without Exchange (a remote shell),
an Edge server, and a group that forgets a Mailbox server.
"""
from __future__ import annotations

import datetime
import os
import socket

import pytest
import yaml

from certops_lab.lab import LabInstance
from certops_lab.pytest_plugin import Lab, resolve_topology
from certops_lab.topology import load_topology
from exchange_auth_lab import HOSTS, auth, dump, failure_messages, mutating, playbook, topology

MISSING_THUMBPRINT = "0123456789ABCDEF0123456789ABCDEF01234567"
GROUPS = {"exchange_tools": [*HOSTS, "tools01"], "exchange_edge": [*HOSTS, "edge01"], "exchange_partial": ["ex01", "ex02"]}


def preflight_topology() -> dict:
    data = topology(current_days=40)
    data["hosts"]["ex01"]["certificates"] += [
        {"id": "auth-short", "subject": "CN=Microsoft Exchange Server Auth Certificate", "self_signed": True, "not_after": "+100d"},
        {"id": "auth-weak", "subject": "CN=Microsoft Exchange Server Auth Certificate", "self_signed": True, "not_after": "+1800d",
         "key_size": 1024}]
    data["hosts"]["tools01"] = {"roles": ["generic"]}
    data["hosts"]["edge01"] = {"roles": ["generic"]}
    data["products"]["exchange"]["servers"].append({"host": "edge01", "site": "Site-A", "edge": True})
    return data


@pytest.fixture(name="shared_lab", scope="module")
def shared_lab_fixture(tmp_path_factory):
    directory = tmp_path_factory.mktemp("exchange_auth_preflight")
    lab = Lab(LabInstance(load_topology(resolve_topology(preflight_topology())), str(directory / "lab")).start())
    lab.files, lab.playbook = directory, playbook(directory)
    children = {name: {"hosts": dict.fromkeys(members)} for name, members in GROUPS.items()}
    lab.groups = write_yaml(directory / "groups.yml", {"all": {"children": children}})
    yield lab
    lab.stop()


def write_yaml(path, data) -> str:
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(data, handle)
    return str(path)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def thumbprint_of(lab, certificate_id: str) -> str:
    """The thumbprint the lab gave a topology certificate, found by its friendly purpose on ex01."""
    store = lab.instance.runtime.estate.hosts["ex01"].store("LocalMachine", "My")
    wanted = {"iis-public": lambda entry: entry.certificate.subject.rfc4514_string() == "CN=mail.lab.test",
              "ex01-smtp": lambda entry: entry.certificate.subject.rfc4514_string() == "CN=EX01",
              "auth-ksp": lambda entry: entry.friendly_name == "Auth certificate with a CNG key",
              # 100 days left (the current one has 40)
              "auth-short": lambda entry: 60 < (entry.certificate.not_valid_after_utc - lab.clock.now()).days < 120,
              "auth-weak": lambda entry: entry.certificate.public_key().key_size == 1024}[certificate_id]
    return next(thumbprint for thumbprint, entry in store.entries.items() if wanted(entry))


def date(lab, offset_hours: int) -> str:
    return (lab.clock.now() + datetime.timedelta(hours=offset_hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


# id -> (role variables (a callable of the lab), extra ansible-playbook arguments (a callable of the lab), expected words)
CASES = {
    "unreachable_server": (lambda lab: {}, lambda lab: ["-i", write_yaml(os.path.join(str(lab.files), "closed.yml"), {
        "all": {"hosts": {"ex03": {"ansible_port": closed_port()}}}})], "ex03 is unreachable"),
    "remote_shell_without_setup_key": (lambda lab: {"exchange_auth_group": "exchange_tools"}, lambda lab: ["-i", lab.groups],
                                       "tools01 (TOOLS01) has no Exchange setup registry key"),
    "edge_server": (lambda lab: {"exchange_auth_group": "exchange_edge"}, lambda lab: ["-i", lab.groups], "edge01 (EDGE01) is an Edge Transport"),
    "mailbox_server_missing_from_group": (lambda lab: {"exchange_auth_group": "exchange_partial"}, lambda lab: ["-i", lab.groups],
                                          "EX03 is an Exchange Mailbox server of the organisation (Get-ExchangeServer) but not in"),
    "unknown_group": (lambda lab: {"exchange_auth_group": "exchange_typo", "certops_test_hosts": "exchange"}, lambda lab: [],
                      "inventory group 'exchange_typo' (exchange_auth_group) is unknown or empty"),
    "server_left_out_of_the_play": (lambda lab: {}, lambda lab: ["--limit", "ex01,ex02"], "ex03 belong to the exchange group but not to this play"),
    "malformed_thumbprint": (lambda lab: {"exchange_auth_thumbprint": "XY" + MISSING_THUMBPRINT[2:]}, lambda lab: [], "is not a hexadecimal digit"),
    "thumbprint_not_on_any_server": (lambda lab: {"exchange_auth_thumbprint": MISSING_THUMBPRINT}, lambda lab: [],
                                     "is not in LocalMachine\\My with its private key on any of ex01, ex02, ex03"),
    "ksp_key": (lambda lab: {"exchange_auth_thumbprint": thumbprint_of(lab, "auth-ksp")}, lambda lab: [], "CNG (KSP) key, not a legacy CSP key"),
    "public_tls_certificate": (lambda lab: {"exchange_auth_thumbprint": thumbprint_of(lab, "iis-public")}, lambda lab: [],
                               "never a public TLS certificate"),
    "smtp_default_certificate": (lambda lab: {"exchange_auth_thumbprint": thumbprint_of(lab, "ex01-smtp")}, lambda lab: [],
                                 "it is ex01's SMTP default certificate"),
    "expires_within_the_renewal_window": (lambda lab: {"exchange_auth_thumbprint": thumbprint_of(lab, "auth-short")}, lambda lab: [],
                                          "must outlive that window"),
    "weak_key": (lambda lab: {"exchange_auth_thumbprint": thumbprint_of(lab, "auth-weak")}, lambda lab: [], "needs RSA 2048 or more"),
    "effective_date_in_the_past": (lambda lab: {"exchange_auth_effective_date": date(lab, -24)}, lambda lab: [], "is not in the future"),
    "effective_date_under_48_hours": (lambda lab: {"exchange_auth_effective_date": date(lab, 47)}, lambda lab: [], "is less than 48 hours ahead"),
    "effective_date_after_expiry": (lambda lab: {"exchange_auth_effective_date": date(lab, 45 * 24)}, lambda lab: [],
                                    "is after the current Auth certificate expires"),
    "effective_date_not_a_date": (lambda lab: {"exchange_auth_effective_date": "next Tuesday"}, lambda lab: [],
                                  "exchange_auth_effective_date: 'next Tuesday' is not an ISO 8601 date"),
}


def assert_refused_without_change(lab, run, audited: int, before: dict, message: str) -> None:
    assert run.returncode != 0, dump(run)
    messages = failure_messages(run)
    assert message in messages, messages
    assert len(messages.splitlines()) == messages.count("preflight:"), messages     # one clear refusal, no other failure
    assert "Traceback" not in run.stdout + run.stderr and "Finalization of task args" not in run.stdout
    assert mutating(lab.audit()[audited:]) == [] and auth(lab) == before and lab.violations() == []


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_refused_before_any_change(shared_lab, case):
    variables, arguments, message = CASES[case]
    audited, before = len(shared_lab.audit()), auth(shared_lab)
    run = shared_lab.run_playbook(shared_lab.playbook, *arguments(shared_lab), extra_vars=variables(shared_lab) or None)
    assert_refused_without_change(shared_lab, run, audited, before, message)


def test_a_wrongly_typed_switch_is_refused_by_the_role_interface(shared_lab):
    audited = len(shared_lab.audit())
    run = shared_lab.run_playbook(shared_lab.playbook, extra_vars={"exchange_auth_enforce_new": "perhaps"})
    assert run.returncode != 0 and "exchange_auth_enforce_new" in failure_messages(run)
    assert "Traceback" not in run.stdout + run.stderr and shared_lab.audit()[audited:] == []


def test_the_preflight_lab_is_sound_a_plain_check_run_passes(shared_lab):
    run = shared_lab.run_playbook(shared_lab.playbook, check=True)
    assert run.returncode == 0, dump(run)
