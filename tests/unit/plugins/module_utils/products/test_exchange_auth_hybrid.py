# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Exchange hybrid application's key credentials (module_utils/_products/exchange_auth_hybrid.py): the merge that keeps
existing keys, skips a certificate already there and drops expired keys only when asked; the gates; the Graph step."""
from __future__ import annotations

import base64
import datetime
import hashlib
import types

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._products import exchange_auth as rules
from ansible_collections.certops.microsoft.plugins.module_utils._products import exchange_auth_hybrid as hybrid
from ansible_collections.certops.microsoft.plugins.module_utils._rotation_gates import Gates

NOW = datetime.datetime(2026, 6, 15, 10, 0, tzinfo=datetime.timezone.utc)


def certificate(name: str) -> tuple:
    """(thumbprint, base64 DER) of a small self-signed certificate."""
    key = rsa.generate_private_key(65537, 2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    der = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key()).serial_number(1)
           .not_valid_before(NOW - datetime.timedelta(days=1)).not_valid_after(NOW + datetime.timedelta(days=365))
           .sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))
    return hashlib.sha1(der).hexdigest().upper(), base64.b64encode(der).decode()  # nosec B324 - a thumbprint


OLD, NEW, STALE = certificate("old"), certificate("new"), certificate("stale")


def key(cert, end="2027-01-01T00:00:00Z", with_value=True) -> dict:
    return {"keyId": cert[0][:8], "type": "AsymmetricX509Cert", "usage": "Verify", "key": cert[1] if with_value else None,
            "customKeyIdentifier": None if with_value else cert[0], "endDateTime": end}


# --- the merge -----------------------------------------------------------------------------------------
def test_merge_keeps_existing_keys_and_adds_a_new_certificate():
    merged, changed = hybrid.merged_keys([key(OLD)], [{"thumbprint": NEW[0], "key": NEW[1]}], False, NOW)
    assert changed and [hybrid.key_thumbprint(item) for item in merged] == [OLD[0], NEW[0]] and merged[0] == key(OLD)


def test_merge_skips_a_certificate_already_there_by_key_or_by_custom_key_identifier():
    for existing in (key(NEW), key(NEW, with_value=False)):
        merged, changed = hybrid.merged_keys([existing], [{"thumbprint": NEW[0], "key": NEW[1]}], False, NOW)
        assert not changed and merged == [existing]


def test_merge_drops_expired_keys_only_when_asked():
    existing = [key(STALE, end="2026-01-01T00:00:00Z"), key(OLD)]
    assert hybrid.merged_keys(existing, [], False, NOW) == (existing, False)
    assert hybrid.merged_keys(existing, [], True, NOW) == ([key(OLD)], True)


# --- the plan's part ----------------------------------------------------------------------------------
def organisation(keys, roles=("Application.ReadWrite.All",), ders=None):
    application = {"error": "", "path": "/applications/obj", "app_id": "app", "keys": [hybrid.key_state(item, NOW) for item in keys],
                   "roles": list(roles) if roles is not None else None}
    ders = ders or {OLD[0]: OLD[1], NEW[0]: NEW[1]}
    return types.SimpleNamespace(application=application, acting="ex01", hybrid=True, auth={"current": OLD[0]}, der=lambda t: ders.get(t, ""))


def params(**overrides) -> dict:
    values = {name: spec.get("default") for name, spec in rules.ARGUMENT_SPEC.items()}
    values.update(hybrid_application_id="app", graph_tenant_id="contoso.onmicrosoft.com", graph_client_id="3a1f2b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b",
                  graph_client_secret="Graph-Secret-Value-9b1")
    values.update(overrides)
    return values


def test_additions_are_the_end_current_and_next_certificates_the_application_lacks():
    org = organisation([key(OLD)])
    assert hybrid.additions(org, org.application, {"current": OLD[0], "next": NEW[0]}) == [{"thumbprint": NEW[0], "key": NEW[1]}]
    assert hybrid.additions(org, org.application, {"current": OLD[0], "next": ""}) == []


def test_key_step_is_a_controller_step_that_names_its_secret_but_holds_none():
    org = organisation([key(OLD)])
    step = hybrid.key_step(org, org.application, {"current": OLD[0], "next": NEW[0]}, params(), ["import-new-ex02"])
    secrets = {"graph_client_secret": "graph_client_secret"}
    assert (step.controller, step.host, step.after, step.secrets) == (hybrid.OPERATION, "ex01", ["import-new-ex02"], secrets)
    assert "Graph-Secret-Value-9b1" not in str(step.to_dict())


def test_nothing_to_add_and_nothing_to_prune_is_no_step():
    org = organisation([key(OLD)])
    assert hybrid.key_step(org, org.application, {"current": OLD[0], "next": ""}, params(hybrid_prune_expired=True), []) is None


def test_a_read_only_graph_app_is_refused_when_keys_must_change():
    org = organisation([key(OLD)], roles=("Application.Read.All",))
    with pytest.raises(CertopsError, match="may only read"):
        hybrid.key_step(org, org.application, {"current": OLD[0], "next": NEW[0]}, params(), [])


@pytest.mark.parametrize("org,words", [
    (types.SimpleNamespace(hybrid=False), "shows no hybrid configuration"),
    (types.SimpleNamespace(hybrid=True), "was not read"),
], ids=["not_hybrid", "anchor_unreadable"])
def test_hybrid_gates_refuse_with_the_fix(org, words):
    gates = Gates()
    hybrid.hybrid_gates(gates, org, params(), None)
    assert any(words in refusal for refusal in gates.refusals)


def test_a_graph_read_error_is_a_refusal_naming_the_variables():
    gates = Gates()
    hybrid.hybrid_gates(gates, types.SimpleNamespace(hybrid=True), params(), {"error": "Microsoft Graph answered GET ... with HTTP 404"})
    assert "check exchange_auth_hybrid_application_id" in gates.refusals[0] and "HTTP 404" in gates.refusals[0]


def test_graph_settings_problems_are_named_by_the_role_variables():
    problems = hybrid.settings_refusals(params(graph_tenant_id="not a tenant", graph_client_secret=""))
    assert any(problem.startswith("exchange_auth_graph_tenant_id is 'not a tenant'") for problem in problems)
    assert any("exchange_auth_graph_certificate_path" in problem for problem in problems)
    assert hybrid.settings_refusals(params(hybrid_application_id="")) == []


def test_the_plan_keeps_no_graph_secret_and_apply_asks_for_it():
    public = hybrid.graph_public(params())
    assert "graph_client_secret" not in public and public["secrets"] == ["graph_client_secret"]
    with pytest.raises(CertopsError, match="give it to the apply task too"):
        hybrid.secret_values(params(graph_client_secret=""), {"graph_client_secret"})


# --- reads and the Graph step ------------------------------------------------------------------------------
def test_only_the_first_server_reads_the_application_and_only_in_the_read_phase():
    task_vars = {"groups": {"exchange": ["ex01", "ex02"]}}
    assert [rules.host_role(host, params(), task_vars) for host in ("ex01", "ex02")] == ["mailbox+graph", "mailbox"]
    assert hybrid.controller_read("mailbox+graph", {"probe": True}) == {} and hybrid.controller_read("mailbox", params()) == {}


def test_a_graph_failure_in_the_read_is_data_for_the_gates():
    state = hybrid.controller_read("mailbox+graph", params(graph_tenant_id="not a tenant"))
    assert "exchange_auth_graph_tenant_id" in state["hybrid_app"]["error"]


class FakeGraph:
    """Answers GET with the application's keyCredentials (their values included) and records a PATCH."""

    def __init__(self, keys):
        self.keys, self.patched = list(keys), []

    def get(self, path, params=None):
        del path, params
        return {"id": "obj", "appId": "app", "keyCredentials": list(self.keys)}

    def patch(self, path, body):
        self.patched.append((path, body))
        self.keys = body["keyCredentials"]


def test_the_graph_step_patches_the_merged_collection_and_reports_what_graph_holds(monkeypatch):
    graph = FakeGraph([key(OLD)])
    monkeypatch.setattr(hybrid, "client_for", lambda settings, secrets=None: graph)
    step = {"parameters": {"graph": {}, "path": "/applications/obj", "add": [{"thumbprint": NEW[0], "key": NEW[1]}], "prune_expired": False}}
    reply = hybrid.controller_step(step, {"graph_client_secret": "x"})
    assert reply == {"thumbprints": sorted([OLD[0], NEW[0]]), "changed": True} and len(graph.patched) == 1
    assert graph.patched[0][1]["keyCredentials"][0] == key(OLD)
    assert hybrid.step_problem(step, reply) == "" and hybrid.controller_step(step, {})["changed"] is False


def test_a_graph_answer_without_the_key_is_a_problem():
    step = {"parameters": {"add": [{"thumbprint": NEW[0]}]}}
    assert f"without the key of {NEW[0]}" in hybrid.step_problem(step, {"thumbprints": [OLD[0]]})
