# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ClusterConfig.json transforms on real-shaped standalone cluster configurations (both layouts)."""
from __future__ import annotations

import copy
import json
import pathlib

import pytest

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._products import d365_service_fabric_config as cc

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "d365_service_fabric"
OLD_SERVER, OLD_CLIENT = "AA11" * 10, "CC22" * 10
NEW_SERVER, NEW_CLIENT = "BB33" * 10, "DD44" * 10


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture(name="thumbprint_config")
def thumbprint_config_fixture():
    return load("clusterconfig_thumbprint.json")


@pytest.fixture(name="cn_config")
def cn_config_fixture():
    return load("clusterconfig_common_name.json")


def information(config):
    return config["properties"]["security"]["CertificateInformation"]


def test_layout_of_thumbprint_configuration_is_thumbprint(thumbprint_config):
    assert cc.layout(thumbprint_config) == cc.THUMBPRINT


def test_layout_of_common_name_configuration_is_common_name(cn_config):
    assert cc.layout(cn_config) == cc.COMMON_NAME


def test_layout_refuses_a_configuration_without_certificate_information(thumbprint_config):
    del thumbprint_config["properties"]["security"]
    with pytest.raises(CertopsError, match="not an X.509-secured standalone cluster"):
        cc.layout(thumbprint_config)


def test_layout_refuses_a_configuration_that_mixes_both(thumbprint_config, cn_config):
    information(thumbprint_config).update(information(cn_config))
    with pytest.raises(CertopsError, match="neither by thumbprint nor by common name alone"):
        cc.layout(thumbprint_config)


def test_thumbprints_are_read_normalised(thumbprint_config):
    assert cc.primary_thumbprint(thumbprint_config) == OLD_SERVER
    assert cc.client_entries(thumbprint_config) == [(OLD_CLIENT, True)]


def test_rotation_sets_new_primary_and_old_secondary_on_cluster_and_server_certificates(thumbprint_config):
    rotated = cc.rotated(thumbprint_config, NEW_SERVER, NEW_CLIENT)
    for section in ("ClusterCertificate", "ServerCertificate"):
        assert information(rotated)[section]["Thumbprint"] == NEW_SERVER
        assert cc.server_thumbprints(rotated)[section] == (NEW_SERVER, OLD_SERVER)
        assert information(rotated)[section]["X509StoreName"] == "My"


def test_rotation_adds_new_client_as_admin_and_demotes_the_old_one(thumbprint_config):
    rotated = cc.rotated(thumbprint_config, NEW_SERVER, NEW_CLIENT)
    assert cc.client_entries(rotated) == [(OLD_CLIENT, False), (NEW_CLIENT, True)]


def test_rotation_bumps_the_configuration_version(thumbprint_config):
    assert cc.rotated(thumbprint_config, NEW_SERVER, NEW_CLIENT)["clusterConfigurationVersion"] == "2.0.0"


def test_rotation_keeps_every_other_part_of_the_document(thumbprint_config):
    rotated = cc.rotated(thumbprint_config, NEW_SERVER, NEW_CLIENT)
    for key in ("nodes", "name", "apiVersion"):
        assert rotated[key] == thumbprint_config[key]
    assert rotated["properties"]["nodeTypes"] == thumbprint_config["properties"]["nodeTypes"]
    assert information(rotated)["ReverseProxyCertificate"] == information(thumbprint_config)["ReverseProxyCertificate"]


def test_rotation_does_not_change_its_input(thumbprint_config):
    before = copy.deepcopy(thumbprint_config)
    cc.rotated(thumbprint_config, NEW_SERVER, NEW_CLIENT)
    assert thumbprint_config == before


def test_rotation_with_unchanged_client_certificate_adds_no_client_entry(thumbprint_config):
    rotated = cc.rotated(thumbprint_config, NEW_SERVER, OLD_CLIENT)
    assert cc.client_entries(rotated) == [(OLD_CLIENT, True)]


def test_rotation_refuses_a_leftover_secondary_thumbprint(thumbprint_config):
    once = cc.rotated(thumbprint_config, NEW_SERVER, NEW_CLIENT)
    with pytest.raises(CertopsError, match="still has a ThumbprintSecondary .*two different certificates to two different certificates"):
        cc.rotated(once, "EE55" * 10, "FF66" * 10)


def test_rotation_refuses_the_current_certificate_as_new(thumbprint_config):
    with pytest.raises(CertopsError, match="already the cluster certificate"):
        cc.rotated(thumbprint_config, OLD_SERVER, NEW_CLIENT)


def test_rotation_refuses_a_common_name_configuration(cn_config):
    with pytest.raises(CertopsError, match="by common name"):
        cc.rotated(cn_config, NEW_SERVER, NEW_CLIENT)


def test_cleanup_drops_the_secondary_and_the_old_client_entry(thumbprint_config):
    cleaned = cc.cleaned(cc.rotated(thumbprint_config, NEW_SERVER, NEW_CLIENT), [OLD_CLIENT])
    assert cc.server_thumbprints(cleaned) == {"ClusterCertificate": (NEW_SERVER, ""), "ServerCertificate": (NEW_SERVER, "")}
    assert cc.client_entries(cleaned) == [(NEW_CLIENT, True)]
    assert "ThumbprintSecondary" not in information(cleaned)["ClusterCertificate"]
    assert cleaned["clusterConfigurationVersion"] == "3.0.0"


def test_cleanup_keeps_an_admin_entry_even_when_named_retired(thumbprint_config):
    cleaned = cc.cleaned(cc.rotated(thumbprint_config, NEW_SERVER, NEW_CLIENT), [OLD_CLIENT, NEW_CLIENT])
    assert cc.client_entries(cleaned) == [(NEW_CLIENT, True)]


def test_cleanup_refuses_to_leave_no_admin_client(thumbprint_config):
    information(thumbprint_config)["ClientCertificateThumbprints"][0]["IsAdmin"] = False
    with pytest.raises(CertopsError, match="without an admin client certificate"):
        cc.cleaned(thumbprint_config, [])


def test_needs_cleanup_after_rotation_and_not_after_cleanup(thumbprint_config):
    rotated = cc.rotated(thumbprint_config, NEW_SERVER, NEW_CLIENT)
    assert cc.needs_cleanup(rotated, [OLD_CLIENT])
    assert not cc.needs_cleanup(cc.cleaned(rotated, [OLD_CLIENT]), [OLD_CLIENT])
    assert not cc.needs_cleanup(thumbprint_config, [])


def test_refuses_an_upgrade_that_adds_and_removes_at_once(thumbprint_config):
    replaced = copy.deepcopy(thumbprint_config)
    for section in ("ClusterCertificate", "ServerCertificate", "ReverseProxyCertificate"):
        information(replaced)[section]["Thumbprint"] = NEW_SERVER
    with pytest.raises(CertopsError, match="would add .* and remove .*cannot be added and removed at the same time"):
        cc.refuse_add_and_remove(thumbprint_config, replaced)


def test_rotation_only_adds_and_cleanup_only_removes(thumbprint_config):
    rotated = cc.rotated(thumbprint_config, NEW_SERVER, NEW_CLIENT)
    assert cc.referenced_thumbprints(rotated) - cc.referenced_thumbprints(thumbprint_config) == {NEW_SERVER, NEW_CLIENT}
    assert cc.referenced_thumbprints(thumbprint_config) <= cc.referenced_thumbprints(rotated)
    cleaned = cc.cleaned(rotated, [OLD_CLIENT])
    assert cc.referenced_thumbprints(cleaned) == {NEW_SERVER, NEW_CLIENT}


@pytest.mark.parametrize("version,bumped", [("1.0.0", "2.0.0"), ("2.0.0", "3.0.0"), ("9", "10"), ("1.2.3.4", "2.0.0.0")])
def test_version_bump(version, bumped):
    assert cc.bumped_version(version) == bumped


@pytest.mark.parametrize("version", ["", "v1", "1.0-beta", None])
def test_version_bump_refuses_a_version_that_is_not_dotted_numbers(version):
    with pytest.raises(CertopsError, match="not a dotted version"):
        cc.bumped_version(version)


def test_common_names_of_a_common_name_configuration(cn_config):
    assert cc.common_names(cn_config) == [("sf.d365.lab.test", ["1F1F" * 10])]


def test_common_names_with_several_issuers_and_none(cn_config):
    entries = information(cn_config)["ClusterCertificateCommonNames"]["CommonNames"]
    entries[0]["CertificateIssuerThumbprint"] = "1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f, 2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e"
    entries.append({"CertificateCommonName": "other"})
    assert cc.common_names(cn_config) == [("sf.d365.lab.test", ["1F1F" * 10, "2E2E" * 10]), ("other", [])]
