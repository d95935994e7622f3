# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The SharePoint farm model: issuers, root authorities, realm, and SharePoint's own failures."""
from __future__ import annotations

import pytest

from certops_lab.contracts import CmdletError
from certops_lab.products.sharepoint import WORKFLOW_PRINCIPAL, SharePointFarm, default_realm, thumbprint_of

from workflow_lab import make_certificate

REALM = "5d5b9d5a-6c1e-4b0c-9d39-3c8f0b7f9a11"


@pytest.fixture(name="farm")
def farm_fixture():
    return SharePointFarm(name="sp", hosts=["sp01", "sp02"], realm=REALM, workflow_farm="wfm")


def test_new_issuer_with_duplicate_name_fails_as_sharepoint_does(farm):
    farm.new_issuer("wfm-2026", make_certificate("a"), f"{WORKFLOW_PRINCIPAL}@*")
    with pytest.raises(CmdletError, match='SPTrustedSecurityTokenService named "WFM-2026" already exists under the parent .*'
                                          "Rename your object or delete the existing object"):
        farm.new_issuer("WFM-2026", make_certificate("b"), f"{WORKFLOW_PRINCIPAL}@*")
    assert len(farm.issuers) == 1


def test_new_root_authority_with_duplicate_name_fails_as_sharepoint_does(farm):
    farm.new_root_authority("WorkflowManager", make_certificate("a"))
    with pytest.raises(CmdletError, match='SPTrustedRootAuthority named "WorkflowManager" already exists'):
        farm.new_root_authority("WorkflowManager", make_certificate("b"))


@pytest.mark.parametrize("lookup", ["issuer", "remove_issuer", "root_authority", "remove_root_authority"])
def test_unknown_identity_fails_with_pipe_bind_message(farm, lookup):
    with pytest.raises(CmdletError, match="Cannot find an SPTrusted(SecurityTokenIssuer|RootAuthority) object with Id or Name: nope."):
        getattr(farm, lookup)("nope")


def test_issuer_found_by_name_or_id_case_insensitively(farm):
    issuer = farm.new_issuer("WFM", make_certificate("a"), f"{WORKFLOW_PRINCIPAL}@*")
    assert farm.issuer("wfm") is issuer
    assert farm.issuer(issuer.id.upper()) is issuer


@pytest.mark.parametrize("registered,trusted", [
    (f"{WORKFLOW_PRINCIPAL}@*", True),
    (f"{WORKFLOW_PRINCIPAL}@{REALM}", True),
    (f"{WORKFLOW_PRINCIPAL}@{REALM.upper()}", True),
    (f"{WORKFLOW_PRINCIPAL}@11111111-2222-3333-4444-555555555555", False),
    ("00000003-0000-0ff1-ce00-000000000000@*", False),
])
def test_trusts_workflow_signer_only_through_workflow_principal_in_its_realm(farm, registered, trusted):
    der = make_certificate("a")
    farm.new_issuer("issuer", der, registered)
    assert farm.trusts_workflow_signer(thumbprint_of(der)) is trusted


def test_trusts_workflow_signer_only_for_the_issuer_certificate(farm):
    farm.new_issuer("issuer", make_certificate("a"), f"{WORKFLOW_PRINCIPAL}@*")
    assert not farm.trusts_workflow_signer(thumbprint_of(make_certificate("b")))


def test_old_and_new_issuer_both_trusted_during_switch(farm):
    old, new = make_certificate("old"), make_certificate("new")
    farm.new_issuer(WORKFLOW_PRINCIPAL, old, f"{WORKFLOW_PRINCIPAL}@*", True)
    farm.new_issuer("wfm-new", new, f"{WORKFLOW_PRINCIPAL}@*")
    assert farm.trusts_workflow_signer(thumbprint_of(old)) and farm.trusts_workflow_signer(thumbprint_of(new))
    farm.remove_issuer(WORKFLOW_PRINCIPAL)
    assert not farm.trusts_workflow_signer(thumbprint_of(old))


def test_farm_to_dict_round_trip(farm):
    farm.new_issuer("wfm", make_certificate("a"), f"{WORKFLOW_PRINCIPAL}@*", True)
    farm.new_root_authority("root", make_certificate("r"))
    again = SharePointFarm.from_dict(farm.to_dict())
    assert again.to_dict() == farm.to_dict()
    assert again.issuers[0].certificate == farm.issuers[0].certificate


def test_default_realm_is_stable_guid():
    assert default_realm("sp") == default_realm("sp") != default_realm("sp2")
    assert len(default_realm("sp")) == 36


@pytest.mark.parametrize("become_user", [None, "", "LAB\\someone"])
def test_farm_unreachable_without_become_as_farm_account(farm, become_user):
    farm.farm_account = "LAB\\sp-farm"
    with pytest.raises(CmdletError, match="Cannot access the local farm"):
        farm.check_database_access(become_user)


def test_farm_reachable_with_become_as_farm_account_or_without_farm_account(farm):
    farm.check_database_access(None)
    farm.farm_account = "LAB\\sp-farm"
    farm.check_database_access("lab\\SP-FARM")
