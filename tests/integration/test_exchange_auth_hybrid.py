# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A hybrid organisation end to end: the dedicated Exchange hybrid application in the lab's Entra tenant (loopback HTTPS
Microsoft Graph, validated TLS, a certificate credential) gets each Auth certificate's key before it signs, with merge
semantics; Exchange Online's OAuth is verified with Test-OAuthConnectivity; bad inputs and Graph faults change nothing
or converge on a re-run."""
from __future__ import annotations

import base64
import datetime
import glob
import json
import os
import uuid

import pytest

from certops_lab.products.exchange_hybrid import hybrid_application
from exchange_auth_lab import (CLIENT_ID, HOSTS, READ_ONLY_CLIENT_ID, Rotation, application_keys, auth, dump, failure_messages, graph_credential,
                               holders, hybrid_vars, mutating, plan_documents, topology)


@pytest.fixture(name="hybrid")
def hybrid_fixture(lab_factory, tmp_path):
    def start(current_days=40, **hybrid) -> tuple:
        rotation = Rotation(lab_factory(topology(current_days=current_days, hybrid=hybrid)), tmp_path)
        return rotation, hybrid_vars(rotation.lab, graph_credential(rotation.lab, tmp_path))
    return start


def graph_writes(lab) -> list:
    return [record for record in mutating(lab.audit()) if record["host"] == "graph"]


def test_without_the_hybrid_application_a_hybrid_organisation_is_refused_with_what_to_run(hybrid):
    rotation, _variables = hybrid()
    run = rotation.run()
    assert run.returncode != 0 and "Exchange hybrid is configured" in failure_messages(run)
    assert "ConfigureExchangeHybridApplication.ps1 -UpdateCertificate" in failure_messages(run) and mutating(rotation.lab.audit()) == []


def test_the_next_key_reaches_exchange_online_before_it_is_staged_and_published_across_the_effective_date(hybrid):
    rotation, variables = hybrid()
    old = auth(rotation.lab)["current"]
    run = rotation.run(**variables)
    assert run.returncode == 0, dump(run)
    new = auth(rotation.lab)["next"]
    assert application_keys(rotation.lab) == [old, new]          # the HCW's key kept, the next one added
    order = [record["script"].split(" ")[0] for record in mutating(rotation.lab.audit())]
    assert order.index("PATCH") < order.index("exchange_authconfig_set"), order
    assert [step["id"] for step in plan_documents(run)[-1]["steps"]] == ["import-new-ex02", "import-new-ex03", "hybrid-keys", "stage"]
    before = len(rotation.lab.audit())
    again = rotation.run(**variables)
    assert again.returncode == 0 and mutating(rotation.lab.audit()[before:]) == []
    rotation.advance("+31d")
    finished = rotation.run(**variables)
    assert finished.returncode == 0, dump(finished)
    assert auth(rotation.lab)["current"] == new and holders(rotation.lab, new) == list(HOSTS)
    verify = plan_documents(finished)[0]["expected"]
    assert all(verify[host]["oauth_exchange_online"] == "Success" for host in HOSTS)
    assert application_keys(rotation.lab) == [old, new] and rotation.lab.violations() == []


def test_a_missing_current_key_is_put_back_although_nothing_else_is_due(hybrid):
    rotation, variables = hybrid(current_days=200, holds_current=False)
    run = rotation.run(**variables)
    assert run.returncode == 0, dump(run)
    assert application_keys(rotation.lab) == [auth(rotation.lab)["current"]]
    assert [step["id"] for step in plan_documents(run)[0]["steps"]] == ["hybrid-keys"] and rotation.lab.violations() == []


def test_an_emergency_replace_puts_the_new_key_on_the_application_before_publishing(hybrid):
    rotation, variables = hybrid(current_days=-3)
    old = auth(rotation.lab)["current"]
    run = rotation.run(**variables)
    assert run.returncode == 0, dump(run)
    new = auth(rotation.lab)["current"]
    assert new != old and application_keys(rotation.lab) == [old, new] and rotation.lab.violations() == []


def test_expired_keys_are_dropped_only_when_asked(hybrid):
    rotation, variables = hybrid(current_days=40)
    store = rotation.lab.instance.runtime.estate.hosts["ex01"].store("LocalMachine", "My")
    spare = next(entry for entry in store.entries.values() if entry.friendly_name == "mail.lab.test (public CA)")
    application = hybrid_application(rotation.lab.instance.runtime.estate)
    yesterday = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    application["keyCredentials"].append({"keyId": str(uuid.uuid4()), "customKeyIdentifier": None, "displayName": "2019 key", "type": "AsymmetricX509Cert",
                                          "usage": "Verify", "key": base64.b64encode(spare.der).decode(), "startDateTime": "2019-01-01T00:00:00Z",
                                          "endDateTime": yesterday})
    assert rotation.run(**variables).returncode == 0
    assert spare.thumbprint in application_keys(rotation.lab)
    assert rotation.run(**variables, exchange_auth_hybrid_prune_expired=True).returncode == 0
    assert spare.thumbprint not in application_keys(rotation.lab) and len(application_keys(rotation.lab)) == 2


@pytest.mark.parametrize("kind", ["drop-after", "drop", "http500", "throttle"])
def test_a_graph_fault_at_the_patch_fails_clearly_or_is_retried_and_a_rerun_adds_no_duplicate(hybrid, kind):
    rotation, variables = hybrid()
    # Read: GET by appId and GET with keys (2); round 2 reads again (2); the step: GET, then the PATCH.
    rotation.lab.add_graph_fault(at_call=rotation.lab.graph_calls() + 6, kind=kind, seconds=1)
    run = rotation.run(**variables)
    if kind in ("throttle", "http500"):     # 429 with Retry-After, or a 5xx: the client waits and sends it again
        assert run.returncode == 0, dump(run)
    else:
        assert run.returncode != 0 and "update the hybrid application's keys" in failure_messages(run), dump(run)
        assert "Re-run the same play" in failure_messages(run)
        assert rotation.run(**variables).returncode == 0
    new = auth(rotation.lab)["next"]
    assert new and application_keys(rotation.lab).count(new) == 1 and rotation.lab.violations() == []


BAD = {
    "application_that_does_not_exist": ({"exchange_auth_hybrid_application_id": "00000000-0000-4000-8000-000000000001"},
                                        "could not be read from Microsoft Graph: Microsoft Graph answered GET"),
    "malformed_tenant": ({"exchange_auth_graph_tenant_id": "not a tenant"}, "exchange_auth_graph_tenant_id is 'not a tenant'"),
    "http_graph_endpoint": ({"exchange_auth_graph_endpoint": "http://127.0.0.1:1"}, "exchange_auth_graph_endpoint is 'http://127.0.0.1:1'"),
    "read_only_app": ("read_only", "may only read (Application.Read.All)"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_hybrid_input_is_refused_before_any_change(hybrid, tmp_path, case):
    rotation, variables = hybrid()
    overrides, words = BAD[case]
    if overrides == "read_only":
        overrides = graph_credential(rotation.lab, tmp_path, READ_ONLY_CLIENT_ID)
    before = auth(rotation.lab)
    run = rotation.run(**{**variables, **overrides})
    assert run.returncode != 0 and words in failure_messages(run), failure_messages(run)
    assert "Traceback" not in run.stdout + run.stderr and mutating(rotation.lab.audit()) == [] and auth(rotation.lab) == before


def test_a_hybrid_application_for_an_organisation_without_hybrid_is_refused(lab_factory, tmp_path):
    data = topology(current_days=40, hybrid={})
    del data["products"]["exchange"]["hybrid"]
    rotation = Rotation(lab_factory(data), tmp_path)
    run = rotation.run(**hybrid_vars(rotation.lab, graph_credential(rotation.lab, tmp_path)))
    assert run.returncode != 0 and "shows no hybrid configuration" in failure_messages(run) and mutating(rotation.lab.audit()) == []


def test_a_graph_client_secret_rotates_and_appears_in_no_output_audit_or_lab_file(lab_factory, tmp_path):
    secret = "Graph-Client-Secret-" + uuid.uuid4().hex
    rotation = Rotation(lab_factory(topology(current_days=40, hybrid={})), tmp_path)
    rotation.lab.add_app_credential(CLIENT_ID, secret=secret)
    run = rotation.run("-vvv", **hybrid_vars(rotation.lab, {"exchange_auth_graph_client_id": CLIENT_ID, "exchange_auth_graph_client_secret": secret}))
    assert run.returncode == 0, dump(run)
    assert auth(rotation.lab)["next"] in application_keys(rotation.lab)
    files = [path for path in glob.glob(os.path.join(rotation.lab.state_dir, "**"), recursive=True) if os.path.isfile(path)]
    assert secret not in run.stdout + run.stderr + json.dumps(rotation.lab.audit())
    assert [path for path in files if secret.encode() in open(path, "rb").read()] == []


def test_check_mode_of_a_hybrid_rotation_changes_nothing_on_the_servers_or_in_graph(hybrid):
    rotation, variables = hybrid()
    keys = application_keys(rotation.lab)
    run = rotation.run(check=True, **variables)
    assert run.returncode == 0, dump(run)
    assert mutating(rotation.lab.audit()) == [] and application_keys(rotation.lab) == keys
    assert [record["script"].split(" ")[0] for record in rotation.lab.audit() if record["host"] == "graph" and record["module"] == "microsoft.graph"] == [
        "GET", "GET"]
