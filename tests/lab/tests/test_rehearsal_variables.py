# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""certops-lab twin-vars (certops_lab/rehearsal.py): the user's variables made to reach the twin."""
from __future__ import annotations

import json
import os
import stat

import pytest

from certops_lab import control
from certops_lab.rehearsal import write_twin_variables

REAL, TWIN = "AB" * 20, "CD" * 20


@pytest.fixture(name="state_dir")
def state_dir_fixture(tmp_path):
    (tmp_path / "twin-thumbprints.json").write_text(json.dumps({REAL: TWIN}))
    return str(tmp_path)


def registered(calls: list, known=("client-1",)):
    def call(_state_dir, operation, **arguments):
        if arguments["client_id"] not in known:
            raise control.ControlError("no such app")
        calls.append((operation, arguments))
        return {}
    return call


def test_real_thumbprints_become_the_twins_and_groups_the_labs(state_dir, tmp_path):
    source = tmp_path / "vars.yml"
    source.write_text(f"adfs_entra_decrypting_thumbprint: ' {REAL.lower()} '\nnested: [{{t: {REAL}}}]\nadfs_entra_adfs_group: my_adfs\n")
    write_twin_variables(state_dir, str(source), str(tmp_path / "out.json"), registered([]))
    written = json.loads((tmp_path / "out.json").read_text())
    assert written["adfs_entra_decrypting_thumbprint"] == TWIN and written["nested"] == [{"t": TWIN}]
    assert written["adfs_entra_adfs_group"] == "adfs" and stat.S_IMODE(os.stat(tmp_path / "out.json").st_mode) == 0o600


def test_a_graph_client_of_the_twin_tenant_gets_a_fresh_secret_and_the_lab_endpoints(state_dir, tmp_path):
    source = tmp_path / "vars.json"
    source.write_text(json.dumps({"adfs_entra_graph_client_id": "client-1", "adfs_entra_graph_client_secret": "the-real-secret",
                                  "exchange_auth_graph_client_id": "unknown"}))
    calls: list = []
    write_twin_variables(state_dir, str(source), str(tmp_path / "out.json"), registered(calls))
    written = json.loads((tmp_path / "out.json").read_text())
    assert calls[0][1]["secret"] == written["adfs_entra_graph_client_secret"] != "the-real-secret"
    assert written["adfs_entra_graph_endpoint"] == "{{ certops_lab_graph_endpoint }}" and "exchange_auth_graph_endpoint" not in written


def test_a_vault_file_is_refused_with_the_fix(state_dir, tmp_path):
    source = tmp_path / "vault.yml"
    source.write_text("$ANSIBLE_VAULT;1.1;AES256\n6162\n")
    with pytest.raises(ValueError, match="vault-encrypted: give the rehearsal a decrypted copy"):
        write_twin_variables(state_dir, str(source), str(tmp_path / "out.json"), registered([]))


def test_no_variables_file_still_sets_the_lab_groups(state_dir, tmp_path):
    write_twin_variables(state_dir, "", str(tmp_path / "out.json"), registered([]))
    assert json.loads((tmp_path / "out.json").read_text())["d365_service_fabric_group"] == "sf_node"
