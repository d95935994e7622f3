# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The AD FS farm model and its script twins: documented defaults, auto-rollover on the clock, cmdlet rules, node roles."""
from __future__ import annotations

import datetime

import pytest

from certops_lab.contracts import CallContext, CmdletError
from certops_lab.products import adfs_estate
from certops_lab.products.adfs import DEFAULT_PROPERTIES, SECONDARY_NODE_ERROR, SIGNING
from certops_lab.topology import TopologyError
from certops_lab.twins.scripts import lookup

from adfs_entra_labdata import NOW, estate_of

DAY = datetime.timedelta(days=1)


def farm_of(estate):
    return estate.products["adfs"]["fs"]


def run(estate, script, parameters, host="adfs01", check=False, now=NOW):
    return lookup(script)(estate, estate.hosts[host], parameters, CallContext(host=host, check_mode=check, now=now)).output[0]


def manual_estate():
    return estate_of("adfs_entra_ca.yml")


def test_properties_have_the_documented_defaults():
    assert DEFAULT_PROPERTIES == {"AutoCertificateRollover": True, "CertificateGenerationThreshold": 20, "CertificatePromotionThreshold": 5,
                                  "CertificateCriticalThreshold": 2, "CertificateDuration": 365, "CertificateRolloverInterval": 720,
                                  "CertificateThresholdMultiplier": 1440}


def test_the_primary_node_reads_primary_computer_and_secondaries_name_it():
    estate = estate_of()
    assert run(estate, "adfs_node_get", {})["SyncRole"] == "PrimaryComputer"
    secondary = run(estate, "adfs_node_get", {}, host="adfs02")
    assert (secondary["SyncRole"], secondary["PrimaryComputerName"]) == ("SecondaryComputer", "adfs01.lab.test")


def test_rollover_generates_at_the_generation_threshold_and_promotes_after_the_promotion_threshold():
    estate = estate_of(token_signing=[{"primary": True, "not_before": "-340d", "not_after": "+25d"}], token_decrypting=[{"primary": True}])
    farm = farm_of(estate)
    primary = farm.primary_of(SIGNING)
    assert farm.rollover_tick(NOW + 4 * DAY) == []
    generated = farm.rollover_tick(NOW + 5 * DAY)
    secondary = farm.newest_secondary(SIGNING)
    assert generated[0] == f"generated Token-Signing {secondary.thumbprint}" and secondary.generated
    assert secondary.not_after - secondary.not_before == 365 * DAY
    assert farm.rollover_tick(NOW + 9 * DAY) == [] and farm.primary_of(SIGNING) is primary
    assert farm.rollover_tick(NOW + 10 * DAY) == [f"promoted Token-Signing {secondary.thumbprint}"]
    assert farm.primary_of(SIGNING) is secondary and not primary.is_primary


def test_the_critical_threshold_rolls_over_at_once():
    estate = estate_of(token_signing=[{"primary": True, "not_before": "-364d", "not_after": "+1d"}])
    farm = farm_of(estate)
    done = farm.rollover_tick(NOW)
    assert [line.split(" ")[0] for line in done] == ["generated", "promoted"]


def test_expired_generated_certificates_are_dropped():
    estate = estate_of()
    farm = farm_of(estate)
    farm.rollover_tick(NOW + 4 * DAY)               # promotion of the generated secondary
    old = [item for item in farm.of_type(SIGNING) if not item.is_primary][0]
    assert f"removed expired Token-Signing {old.thumbprint}" in farm.rollover_tick(NOW + 19 * DAY)


def test_no_rollover_without_auto_certificate_rollover():
    farm = farm_of(manual_estate())
    assert farm.rollover_tick(NOW + 400 * DAY) == []


def test_the_rollover_service_runs_every_rollover_interval():
    farm = farm_of(estate_of())
    ticks = adfs_estate.rollover_ticks(farm, NOW, NOW + DAY)
    assert ticks == [NOW + datetime.timedelta(hours=12), NOW + DAY]


def test_certificate_changes_on_a_secondary_node_fail_with_the_internal_error():
    estate = manual_estate()
    with pytest.raises(CmdletError) as caught:
        run(estate, "adfs_certificate_set", {"Operation": "Promote", "CertificateType": SIGNING, "Thumbprint": "A" * 40}, host="adfs02")
    assert str(caught.value) == SECONDARY_NODE_ERROR
    with pytest.raises(CmdletError, match="internal error"):
        run(estate, "adfs_properties_set", {"AutoCertificateRollover": True}, host="adfs02")


def test_add_needs_auto_rollover_off():
    estate = estate_of()
    with pytest.raises(CmdletError, match="cannot be changed while AutoCertificateRollover is enabled"):
        run(estate, "adfs_certificate_set", {"Operation": "Add", "CertificateType": SIGNING, "Thumbprint": "A" * 40})


def test_add_needs_the_certificate_with_its_key_in_the_local_store():
    with pytest.raises(CmdletError, match="was not found in the LocalMachine\\\\My store with its private key"):
        run(manual_estate(), "adfs_certificate_set", {"Operation": "Add", "CertificateType": SIGNING, "Thumbprint": "A" * 40})


def test_a_signing_certificate_needs_the_digital_signature_key_usage():
    estate = manual_estate()
    store = estate.hosts["adfs01"].store("LocalMachine", "My")
    from certops_lab.products.adfs import generate_certificate  # pylint: disable=import-outside-toplevel
    der, key = generate_certificate("Token-Decrypting", "sts.lab.test", NOW - DAY, NOW + 300 * DAY)
    entry = store.add(der, key)
    with pytest.raises(CmdletError, match="lacks the Digital Signature key usage"):
        run(estate, "adfs_certificate_set", {"Operation": "Add", "CertificateType": SIGNING, "Thumbprint": entry.thumbprint})


def test_promote_keeps_the_former_primary_as_secondary_and_remove_never_takes_the_primary():
    estate = manual_estate()
    farm = farm_of(estate)
    new = [entry for entry in estate.hosts["adfs01"].store("LocalMachine", "My").entries.values() if "2027" in entry.certificate.subject.rfc4514_string()][0]
    old = farm.primary_of("Token-Decrypting").thumbprint
    run(estate, "adfs_certificate_set", {"Operation": "Add", "CertificateType": "Token-Decrypting", "Thumbprint": new.thumbprint})
    answer = run(estate, "adfs_certificate_set", {"Operation": "Promote", "CertificateType": "Token-Decrypting", "Thumbprint": new.thumbprint})
    shown = {item["Thumbprint"]: item["IsPrimary"] for item in answer["AdfsCertificates"] if item["CertificateType"] == "Token-Decrypting"}
    assert shown == {old: False, new.thumbprint: True}
    with pytest.raises(CmdletError, match="is the primary certificate and cannot be removed"):
        run(estate, "adfs_certificate_set", {"Operation": "Remove", "CertificateType": "Token-Decrypting", "Thumbprint": new.thumbprint})
    run(estate, "adfs_certificate_set", {"Operation": "Remove", "CertificateType": "Token-Decrypting", "Thumbprint": old})
    assert [item.thumbprint for item in farm.of_type("Token-Decrypting")] == [new.thumbprint]


def test_update_needs_auto_rollover_and_urgent_replaces_the_primary_and_removes_the_older_ones():
    with pytest.raises(CmdletError, match="AutoCertificateRollover is disabled"):
        run(manual_estate(), "adfs_certificate_set", {"Operation": "Update", "CertificateType": SIGNING})
    estate = estate_of()
    before = set(item.thumbprint for item in farm_of(estate).of_type(SIGNING))
    answer = run(estate, "adfs_certificate_set", {"Operation": "Update", "CertificateType": SIGNING, "Urgent": True})
    listed = [item for item in answer["AdfsCertificates"] if item["CertificateType"] == SIGNING]
    assert len(listed) == 1 and listed[0]["IsPrimary"] and listed[0]["Thumbprint"] not in before
    second = run(estate, "adfs_certificate_set", {"Operation": "Update", "CertificateType": SIGNING})
    assert [item["IsPrimary"] for item in second["AdfsCertificates"] if item["CertificateType"] == SIGNING] == [True, False]


def test_check_mode_changes_nothing():
    estate = estate_of()
    before = farm_of(estate).to_dict()
    answer = run(estate, "adfs_certificate_set", {"Operation": "Update", "CertificateType": SIGNING, "Urgent": True}, check=True)
    assert answer["Changed"] is False and farm_of(estate).to_dict() == before


@pytest.mark.parametrize("parameters, words", [
    ({"Operation": "Swap", "CertificateType": SIGNING}, "parameter 'Operation'"),
    ({"Operation": "Add", "CertificateType": "Service-Communications"}, "parameter 'CertificateType'"),
    ({"Operation": "Add", "CertificateType": SIGNING, "Thumbprint": "abc"}, "parameter 'Thumbprint'"),
])
def test_script_parameters_are_validated_as_the_param_block_does(parameters, words):
    with pytest.raises(CmdletError, match=words):
        run(manual_estate(), "adfs_certificate_set", parameters)


def test_a_host_without_adfs_does_not_recognise_the_cmdlets():
    estate = estate_of()
    estate.add_host("web01")
    with pytest.raises(CmdletError, match="'Get-AdfsSyncProperties' is not recognized"):
        run(estate, "adfs_node_get", {}, host="web01")


def test_a_ca_issued_primary_unreadable_on_a_node_is_a_violation():
    estate = manual_estate()
    assert adfs_estate.unusable_primaries(estate) == []
    entry = estate.hosts["adfs02"].store("LocalMachine", "My").get(farm_of(estate).primary_of(SIGNING).thumbprint)
    entry.key_readers = ["BUILTIN\\Administrators"]
    assert "adfs02 cannot use the primary Token-Signing certificate" in adfs_estate.unusable_primaries(estate)[0]


@pytest.mark.parametrize("overrides, words", [
    ({"hosts": ["adfs01", "nowhere"]}, "unknown hosts nowhere"),
    ({"primary": "adfs09"}, "primary 'adfs09' is not one of its hosts"),
    ({"token_signing": [{"not_after": "+30d"}]}, "needs exactly one entry with primary: true"),
    ({"token_signing": [{"primary": True, "certificate": "A" * 40}]}, "is in LocalMachine\\\\My of none of its hosts"),
])
def test_topology_mistakes_are_named(overrides, words):
    with pytest.raises(TopologyError, match=words):
        estate_of(**overrides)


def test_the_farm_survives_serialisation():
    estate = estate_of()
    data = adfs_estate.to_dict(estate.products)
    again = adfs_estate.from_dict(data)
    assert again["adfs"]["fs"].to_dict() == farm_of(estate).to_dict() and again["entra"].to_dict() == estate.products["entra"].to_dict()
