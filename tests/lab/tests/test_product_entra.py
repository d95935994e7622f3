# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Entra tenant model: metadata polling on the lab clock, the sign-in probe, app credentials, and the invariant that
every federated domain trusts the certificate AD FS signs with, at every instant the clock passes through."""
from __future__ import annotations

import datetime
import json

import pytest

from certops_lab.products import adfs_estate, entra
from certops_lab.products.adfs import SIGNING

from adfs_entra_labdata import NOW, SECRET, estate_of, started

DAY = datetime.timedelta(days=1)


def tenant_of(estate):
    return estate.products["entra"]


def federation_of(estate, domain="lab.test"):
    return tenant_of(estate).domain(domain).federation


def farm_of(estate):
    return estate.products["adfs"]["fs"]


def test_entra_polls_from_35_days_before_the_signing_certificate_expires():
    estate = estate_of("adfs_entra_ca.yml")          # the signing certificate expires in 40 days
    federation = federation_of(estate)
    assert not entra.polls_at(federation, NOW + 4 * DAY) and entra.polls_at(federation, NOW + 5 * DAY)


def test_a_poll_takes_the_primary_and_secondary_from_reachable_metadata():
    estate = estate_of(metadata_reachable=True)
    federation, farm = federation_of(estate), farm_of(estate)
    assert entra.poll(federation, farm, NOW) == "success"
    assert entra.thumbprint_of_text(federation.next_signing_certificate) == farm.newest_secondary(SIGNING).thumbprint
    assert entra.poll(federation, farm, NOW + DAY) == "noNewCertificateFound"
    assert federation.update_time == "2026-01-02T00:00:00Z"


def test_a_poll_of_unreachable_metadata_records_it_and_changes_nothing():
    estate = estate_of()
    federation = federation_of(estate)
    held = (federation.signing_certificate, federation.next_signing_certificate)
    assert entra.poll(federation, farm_of(estate), NOW) == "couldNotAccessRemoteHost"
    assert (federation.signing_certificate, federation.next_signing_certificate) == held


def test_the_sign_in_probe_verifies_the_adfs_signature_with_signing_or_next_and_nothing_else():
    estate = estate_of()
    assert adfs_estate.signin_probe(estate, "lab.test")["accepted"]
    farm, federation = farm_of(estate), federation_of(estate)
    secondary = farm.newest_secondary(SIGNING)
    federation.signing_certificate = entra.b64(secondary.der)
    probe = adfs_estate.signin_probe(estate, "lab.test")
    assert not probe["accepted"] and "verifies with neither signingCertificate nor nextSigningCertificate" in probe["error"]
    federation.next_signing_certificate = entra.b64(farm.primary_of(SIGNING).der)
    assert adfs_estate.signin_probe(estate, "lab.test")["accepted"]


def test_the_sign_in_probe_fails_when_the_adfs_service_account_cannot_read_a_ca_issued_key():
    estate = estate_of("adfs_entra_ca.yml")
    entry = estate.hosts["adfs01"].store("LocalMachine", "My").get(farm_of(estate).primary_of(SIGNING).thumbprint)
    entry.key_readers = ["BUILTIN\\Administrators"]
    assert "cannot open the key of its primary token-signing certificate" in adfs_estate.signin_probe(estate, "lab.test")["error"]


def test_the_invariant_names_the_domain_that_does_not_trust_the_signing_certificate():
    estate = estate_of()
    assert adfs_estate.failing_signins(estate) == []
    federation_of(estate, "contoso.test").signing_certificate = entra.b64(farm_of(estate).newest_secondary(SIGNING).der)
    messages = adfs_estate.failing_signins(estate)
    assert len(messages) == 1 and messages[0].startswith("Entra domain contoso.test holds") and "federated sign-ins fail" in messages[0]


def test_client_secrets_are_kept_only_as_salted_hashes():
    tenant = tenant_of(estate_of())
    entra.add_app_credential(tenant, "6F6C1B8E-3C1E-4B1A-9D35-0C4F7E1D2A10", secret=SECRET)
    app = tenant.apps["6f6c1b8e-3c1e-4b1a-9d35-0c4f7e1d2a10"]
    assert app.secret_matches(SECRET) and not app.secret_matches(SECRET + "x")
    assert SECRET not in json.dumps(tenant.to_dict())


def test_an_unknown_app_registration_is_named():
    with pytest.raises(KeyError, match="no app registration 'nope'"):
        entra.add_app_credential(tenant_of(estate_of()), "nope", secret=SECRET)


def test_the_tenant_survives_serialisation():
    tenant = tenant_of(estate_of())
    assert entra.Tenant.from_dict(json.loads(json.dumps(tenant.to_dict()))).to_dict() == tenant.to_dict()


# --- the clock runs AD FS's rollover service and Entra's polling in time order ---------------------------------
@pytest.fixture(name="lab")
def lab_fixture(tmp_path):
    lab = started(tmp_path / "lab")
    yield lab
    lab.stop()


def test_promotion_while_entra_cannot_poll_is_a_violation_recorded_at_its_instant(lab):
    promoted = farm_of(lab.instance.runtime.estate).newest_secondary(SIGNING).thumbprint
    lab.clock.advance("+4d")
    assert farm_of(lab.instance.runtime.estate).primary_of(SIGNING).thumbprint == promoted
    violations = lab.violations()
    assert violations and violations[0]["host"] == "clock" and violations[0]["call_id"].startswith("clock#fs@")
    assert any("entra_trusts_adfs_primary_signing_certificate" in message for message in violations[0]["messages"])
    assert not lab.signin_probe("lab.test")["accepted"]


def test_with_reachable_metadata_entra_follows_the_rollover_and_sign_ins_keep_working(tmp_path):
    lab = started(tmp_path / "reachable", metadata_reachable=True)
    try:
        lab.clock.advance("+30d")
        assert lab.violations() == [] and lab.signin_probe("lab.test")["accepted"] and lab.signin_probe("contoso.test")["accepted"]
        federation = federation_of(lab.instance.runtime.estate)
        assert entra.thumbprint_of_text(federation.signing_certificate) == farm_of(lab.instance.runtime.estate).primary_of(SIGNING).thumbprint
        assert federation.update_result in ("success", "noNewCertificateFound")
    finally:
        lab.stop()


def test_the_clock_passes_state_to_a_restarted_lab(tmp_path):
    lab = started(tmp_path / "restart", metadata_reachable=True)
    lab.clock.advance("+4d")
    primary = farm_of(lab.instance.runtime.estate).primary_of(SIGNING).thumbprint
    lab.stop()
    again = started(tmp_path / "restart", metadata_reachable=True)
    try:
        assert farm_of(again.instance.runtime.estate).primary_of(SIGNING).thumbprint == primary
    finally:
        again.stop()
