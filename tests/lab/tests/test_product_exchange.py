# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Exchange organisation model: AuthConfig and its errors, the AuthAdmin servicelet on the lab clock, the SMTP
trap of New-ExchangeCertificate, export/import between servers, OWA/OAuth health and the invariants."""
from __future__ import annotations

import datetime

import pytest

from certops_lab.clock import parse_offset
from certops_lab.contracts import CmdletError
from certops_lab.invariants import check_all
from certops_lab.products import exchange_health as health
from certops_lab.products.exchange import INVALID_EFFECTIVE_DATE, new_auth_certificate
from certops_lab.state import Estate
from certops_lab.topology import TopologyError

from exchange_lab import exchange_estate, org, read, run, set_validity, store, topology_data

PASSWORD = "Lab-Export-Password-Only-In-Tests-7c1"


def new_certificate(estate, host="ex01"):
    server = org(estate).server_of_host(host)
    return new_auth_certificate(estate, server, ["None"], force=False, now=estate.clock)


def import_everywhere(estate, thumbprint, source="ex01"):
    for server in org(estate).servers:
        if server.host != source:
            run(estate, "exchange_auth_certificate_import", source, {"Thumbprint": thumbprint, "Server": server.name, "PfxPassword": PASSWORD})


def stage(estate, thumbprint, offset="+30d", host="ex01"):
    when = (estate.clock + parse_offset(offset)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return run(estate, "exchange_authconfig_set", host, {"Operation": "Stage", "Thumbprint": thumbprint, "EffectiveDate": when})


def violation_names(estate):
    return sorted({item.invariant for item in check_all(estate)})


# --- topology ------------------------------------------------------------------------------------
def test_current_certificate_is_placed_on_every_server_by_default():
    estate = exchange_estate()
    current = org(estate).auth.current
    assert all(current in store(estate, host) for host in ("ex01", "ex02", "ex03"))
    assert org(estate).damage["current_missing"] == [] and violation_names(estate) == []


def test_current_on_leaves_a_server_without_it_as_the_scenario_damage():
    estate = exchange_estate(current_on=["ex01", "ex02"])
    assert org(estate).auth.current not in store(estate, "ex03")
    assert org(estate).damage["current_missing"] == ["EX03"]
    assert violation_names(estate) == []  # tolerated: the damage the scenario starts with


@pytest.mark.parametrize("change,message", [
    (lambda data: data["products"]["exchange"].update(servers=[]), "list the organisation's servers"),
    (lambda data: data["products"]["exchange"]["servers"].append({"host": "nohost"}), "unknown host 'nohost'"),
    (lambda data: data["products"]["exchange"]["auth_config"].update(current=""), "give the current Auth certificate"),
    (lambda data: data["products"]["exchange"]["servers"].append({"site": "x"}), "give each server a host"),
], ids=["no_servers", "unknown_host", "no_current", "server_without_host_or_name"])
def test_topology_mistakes_are_named(change, message):
    data = topology_data()
    change(data)
    with pytest.raises(TopologyError, match=message):
        exchange_estate(data)


def test_organisation_round_trips_through_json():
    estate = exchange_estate()
    stage(estate, new_certificate(estate), "+3d")
    again = Estate.from_dict(estate.to_dict())
    assert org(again).to_dict() == org(estate).to_dict()


# --- Set-AuthConfig ----------------------------------------------------------------------------------
def test_stage_sets_next_and_its_effective_date():
    estate = exchange_estate()
    thumbprint = new_certificate(estate)
    import_everywhere(estate, thumbprint)
    output = stage(estate, thumbprint, "+3d").output[0]
    assert output["NextCertificateThumbprint"] == thumbprint and output["NextCertificateEffectiveDate"] == "2026-01-04T00:00:00Z"


def test_stage_in_the_past_fails_with_exchanges_message():
    estate = exchange_estate()
    thumbprint = new_certificate(estate)
    with pytest.raises(CmdletError, match=INVALID_EFFECTIVE_DATE):
        stage(estate, thumbprint, "-1h")


def test_stage_under_48_hours_prompts_and_fails_without_force():
    estate = exchange_estate()
    with pytest.raises(CmdletError, match="less than 48 hours.*NonInteractive"):
        stage(estate, new_certificate(estate), "+47h")
    assert org(estate).auth.next == ""


def test_stage_now_is_the_forced_emergency_path_and_warns():
    estate = exchange_estate()
    thumbprint = new_certificate(estate)
    outcome = run(estate, "exchange_authconfig_set", "ex01", {"Operation": "Stage", "Thumbprint": thumbprint, "Now": True})
    assert outcome.output[0]["NextCertificateThumbprint"] == thumbprint and "less than 48 hours" in outcome.warnings[0]


def test_stage_of_a_certificate_not_on_the_server_fails():
    estate = exchange_estate()
    thumbprint = new_certificate(estate, "ex02")
    with pytest.raises(CmdletError, match=f"The certificate with thumbprint {thumbprint} was not found"):
        stage(estate, thumbprint, "+3d", host="ex01")


def test_publish_makes_next_current_and_keeps_previous_then_clear_previous_drops_it():
    estate = exchange_estate()
    old, thumbprint = org(estate).auth.current, new_certificate(estate)
    import_everywhere(estate, thumbprint)
    stage(estate, thumbprint, "+3d")
    published = run(estate, "exchange_authconfig_set", "ex02", {"Operation": "Publish"}).output[0]
    assert (published["CurrentCertificateThumbprint"], published["PreviousCertificateThumbprint"], published["NextCertificateThumbprint"]) == (
        thumbprint, old, "")
    cleared = run(estate, "exchange_authconfig_set", "ex02", {"Operation": "ClearPrevious"}).output[0]
    assert cleared["PreviousCertificateThumbprint"] == "" and violation_names(estate) == []


def test_publish_without_next_fails():
    with pytest.raises(CmdletError, match="no next certificate"):
        run(exchange_estate(), "exchange_authconfig_set", "ex01", {"Operation": "Publish"})


def test_check_mode_changes_nothing():
    estate = exchange_estate()
    before = estate.to_dict()
    run(estate, "exchange_auth_certificate_new", "ex01", check=True)
    run(estate, "exchange_authconfig_set", "ex01", {"Operation": "ClearPrevious"}, check=True)
    run(estate, "exchange_auth_services_restart", "ex01", check=True)
    assert estate.to_dict() == before


# --- the AuthAdmin servicelet on the lab clock ---------------------------------------------------------
def staged_estate(offset="+3d"):
    estate = exchange_estate()
    thumbprint = new_certificate(estate)
    import_everywhere(estate, thumbprint)
    stage(estate, thumbprint, offset)
    return estate, thumbprint


def test_servicelet_publishes_some_hours_after_the_effective_date():
    estate, thumbprint = staged_estate("+3d")
    estate.clock += datetime.timedelta(days=3, hours=5)
    assert read(estate)["AuthConfig"]["NextCertificateThumbprint"] == thumbprint  # lag: 6 hours
    estate.clock += datetime.timedelta(hours=1)
    auth = read(estate)["AuthConfig"]
    assert auth["CurrentCertificateThumbprint"] == thumbprint and auth["NextCertificateThumbprint"] == ""
    assert auth["WhenChangedUTC"] == "2026-01-04T06:00:00Z"


def test_a_read_after_the_servicelet_published_changes_no_stored_state():
    estate, _thumbprint = staged_estate("+3d")
    estate.clock += datetime.timedelta(days=4)
    before = estate.to_dict()
    read(estate, Probe=True)
    assert estate.to_dict() == before


def test_servicelet_does_not_publish_without_a_running_service_host():
    estate, thumbprint = staged_estate("+3d")
    for server in org(estate).servers:
        server.service_host_running = False
    estate.clock += datetime.timedelta(days=5)
    assert read(estate)["AuthConfig"]["NextCertificateThumbprint"] == thumbprint


# --- New-ExchangeCertificate's SMTP trap --------------------------------------------------------------
def test_new_certificate_with_default_services_and_force_replaces_the_smtp_default():
    estate = exchange_estate()
    server = org(estate).server_of_host("ex01")
    thumbprint = new_auth_certificate(estate, server, None, force=True, now=estate.clock)
    assert server.transport_certificate == thumbprint
    assert "exchange_transport_certificate_kept" in violation_names(estate)


def test_new_certificate_with_default_services_without_force_prompts_and_fails():
    estate = exchange_estate()
    with pytest.raises(CmdletError, match="Overwrite the existing default SMTP certificate"):
        new_auth_certificate(estate, org(estate).server_of_host("ex01"), None, force=False, now=estate.clock)


def test_create_script_twin_keeps_the_smtp_default_and_reports_a_csp_exportable_key():
    estate = exchange_estate()
    output = run(estate, "exchange_auth_certificate_new", "ex01").output[0]
    assert output["TransportBefore"] == output["TransportAfter"] and output["TransportRestored"] is False
    created = output["Created"]
    assert created["KeyProvider"] == "CSP" and created["CspExportable"] is True and created["HasPrivateKey"] is True
    assert violation_names(estate) == []


# --- export here, import there ---------------------------------------------------------------------------
def test_import_copies_the_certificate_with_an_exportable_key_and_repairs_the_damage():
    estate = exchange_estate(current_on=["ex01"])
    current = org(estate).auth.current
    output = run(estate, "exchange_auth_certificate_import", "ex01", {"Thumbprint": current, "Server": "EX03", "PfxPassword": PASSWORD}).output[0]
    assert output == {"Thumbprint": current, "Source": "EX01", "Server": "EX03", "Present": True}
    assert store(estate, "ex03")[current].exportable and org(estate).damage["current_missing"] == ["EX02"]
    assert PASSWORD in org(estate).secrets_seen and PASSWORD not in str(estate.to_dict())


@pytest.mark.parametrize("parameters,message", [
    ({"Server": "EX02", "PfxPassword": ""}, "empty string"),
    ({"Server": "EX99", "PfxPassword": PASSWORD}, "object 'EX99' couldn't be found"),
    ({"Server": "EX02", "PfxPassword": PASSWORD, "Thumbprint": "AB" * 20}, "was not found"),
    ({"Server": "EX02", "PfxPassword": PASSWORD, "Thumbprint": "not-a-thumbprint"}, "does not match"),
], ids=["empty_password", "unknown_server", "not_on_source", "bad_thumbprint"])
def test_import_failures_are_exchanges(parameters, message):
    estate = exchange_estate()
    with pytest.raises(CmdletError, match=message):
        run(estate, "exchange_auth_certificate_import", "ex01", {"Thumbprint": org(estate).auth.current, **parameters})


def test_import_to_a_server_known_to_ad_only_fails_as_rpc_unavailable():
    data = topology_data()
    data["products"]["exchange"]["servers"].append({"name": "EX09", "site": "Site-B"})
    estate = exchange_estate(data)
    with pytest.raises(CmdletError, match="RPC server is unavailable"):
        run(estate, "exchange_auth_certificate_import", "ex01", {"Thumbprint": org(estate).auth.current, "Server": "EX09", "PfxPassword": PASSWORD})


def test_import_of_a_non_exportable_key_fails():
    estate = exchange_estate()
    current = org(estate).auth.current
    store(estate, "ex01")[current].exportable = False
    with pytest.raises(CmdletError, match="isn't exportable"):
        run(estate, "exchange_auth_certificate_import", "ex01", {"Thumbprint": current, "Server": "EX02", "PfxPassword": PASSWORD})


# --- the shell ------------------------------------------------------------------------------------------
def test_a_server_without_the_setup_key_reads_as_such_and_refuses_writes():
    data = topology_data()
    data["products"]["exchange"]["servers"][1]["setup_key"] = False
    estate = exchange_estate(data)
    output = read(estate, "ex02")
    assert output["SetupKey"] is False and output["AuthConfig"] is None and output["Certificates"] == []
    with pytest.raises(CmdletError, match="remote shell from here is refused"):
        run(estate, "exchange_authconfig_set", "ex02", {"Operation": "Publish"})


def test_read_reports_a_cng_key_where_the_organisation_has_one():
    estate = exchange_estate()
    ksp = [fact for fact in read(estate)["Certificates"] if fact["KeyProvider"] == "CNG"]
    assert len(ksp) == 1 and ksp[0]["CspExportable"] is None and ksp[0]["CngExportPolicy"] == 3


# --- health ----------------------------------------------------------------------------------------------
def test_owa_and_oauth_fail_on_a_server_without_the_current_certificate():
    estate = exchange_estate(current_on=["ex01", "ex02"])
    probes = read(estate, "ex03", Probe=True)
    assert probes["OwaStatus"] == 500 and probes["OAuthEws"] == "Error" and health.OWA_ERROR in probes["OAuthEwsDetail"]
    assert read(estate, "ex01", Probe=True)["OwaStatus"] == 200


def test_owa_fails_everywhere_once_the_current_certificate_expired():
    estate = exchange_estate(set_validity(topology_data(), "auth-current", "+2d"))
    estate.clock += datetime.timedelta(days=3)
    assert {read(estate, host, Probe=True)["OwaStatus"] for host in ("ex01", "ex02", "ex03")} == {500}
    assert "exchange_auth_certificate_not_expired" in violation_names(estate)


def test_exchange_online_probe_fails_without_a_hybrid_application_model():
    estate = exchange_estate()
    probes = read(estate, Probe=True, ExchangeOnlineUri="https://outlook.office365.com/ews/exchange.asmx")
    assert probes["OAuthExchangeOnline"] == "Error" and probes["OAuthEws"] == "Success"


# --- invariants --------------------------------------------------------------------------------------
def test_publishing_a_certificate_that_a_server_lacks_violates():
    estate = exchange_estate()
    thumbprint = new_certificate(estate)
    run(estate, "exchange_authconfig_set", "ex01", {"Operation": "Stage", "Thumbprint": thumbprint, "Now": True})
    assert "exchange_next_auth_certificate_on_every_server" in violation_names(estate)
    run(estate, "exchange_authconfig_set", "ex01", {"Operation": "Publish"})
    assert "exchange_current_auth_certificate_on_every_server" in violation_names(estate)


def test_an_expired_current_at_start_is_tolerated_until_it_is_replaced():
    estate = exchange_estate(set_validity(topology_data(), "auth-current", "-3d"))
    assert violation_names(estate) == []
    assert read(estate, "ex02", Probe=True)["OwaStatus"] == 500


def test_removing_the_current_certificate_is_refused_and_removing_a_spare_works():
    estate = exchange_estate()
    with pytest.raises(CmdletError, match="current or next Auth certificate"):
        run(estate, "exchange_auth_certificate_remove", "ex01", {"Thumbprint": org(estate).auth.current})
    spare = new_certificate(estate)
    assert run(estate, "exchange_auth_certificate_remove", "ex01", {"Thumbprint": spare}).output[0]["Removed"] is True
    assert spare not in store(estate, "ex01")


def test_removing_a_certificate_enabled_for_a_service_is_refused():
    estate = exchange_estate()
    iis = next(thumbprint for thumbprint, names in org(estate).server_of_host("ex01").services.items() if "IIS" in names)
    with pytest.raises(CmdletError, match=r"enabled for Exchange services \(IIS\)"):
        run(estate, "exchange_auth_certificate_remove", "ex01", {"Thumbprint": iis})


def test_restart_records_new_start_times():
    estate = exchange_estate()
    estate.clock += datetime.timedelta(hours=1)
    output = run(estate, "exchange_auth_services_restart", "ex02").output[0]
    assert output["ServiceHostStartedUtc"] == "2026-01-01T01:00:00Z"
    assert {pool["StartedUtc"] for pool in output["AppPools"]} == {"2026-01-01T01:00:00Z"}
    assert org(estate).server_of_host("ex02").restarts == 1
