# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""certops filters: same results as module_utils, errors as AnsibleFilterError, omit handled."""
from __future__ import annotations

import base64

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.certops.microsoft.plugins.filter.certops import FilterModule, omitted
from ansible_collections.certops.microsoft.plugins.module_utils._certificate import inspect_data
from ansible_collections.certops.microsoft.tests.unit import certfactory as factory

FILTERS = FilterModule().filters()
CA = factory.make_ca()
LEAF = factory.make_cert(CA, days=200)
PASSWORD = "Filter-Pfx-Secret-91"
PFX_B64 = base64.b64encode(factory.make_pfx(LEAF, (CA.cert,), password=PASSWORD)).decode()
NOW = "2026-11-23T12:00:00Z"


def test_filter_module_exposes_the_documented_filters():
    assert sorted(FILTERS) == ["adfs_rollover_schedule", "cert_info", "estate_plan", "thumbprint"]


def test_thumbprint_filter_cleans_a_pasted_thumbprint():
    assert FILTERS["thumbprint"]("\u200ea9 4e 1b 2c 3d 4e 5f 60 71 82 93 a4 b5 c6 d7 e8 f9 0a 1b 2c") == "A94E1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C"


def test_thumbprint_filter_error_names_the_character():
    with pytest.raises(AnsibleFilterError, match=r"thumbprint: .*character U\+0047 'G' at position 1 is not a hexadecimal digit"):
        FILTERS["thumbprint"]("G" * 40)


@pytest.mark.parametrize("data", [
    pytest.param(factory.pem(LEAF.cert, CA.cert).decode(), id="pem-text"),
    pytest.param(base64.b64encode(factory.der(LEAF.cert)).decode(), id="slurp-der"),
    pytest.param(base64.b64encode(factory.make_p7b([LEAF.cert, CA.cert])).decode(), id="slurp-p7b"),
    pytest.param(base64.b64encode(factory.pem(LEAF.cert)).decode(), id="slurp-pem"),
])
def test_cert_info_filter_equals_inspect_data(data):
    expected = inspect_data(factory.der(LEAF.cert), now=NOW)
    result = FILTERS["cert_info"](data, now=NOW)
    assert {key: result[key] for key in ("thumbprint", "not_after", "days_remaining", "subject")} == {
        key: expected[key] for key in ("thumbprint", "not_after", "days_remaining", "subject")}


def test_cert_info_filter_reads_a_pfx_with_its_password():
    result = FILTERS["cert_info"](PFX_B64, password=PASSWORD, now=NOW)
    assert (result["source_format"], result["has_private_key"], len(result["chain"])) == ("pkcs12", True, 1)
    assert PASSWORD not in repr(result)


@pytest.mark.parametrize("omit_value", [None, "__omit_place_holder__3f1e0a", type("_OmitType", (), {})()], ids=["none", "placeholder-2.16", "sentinel-2.19"])
def test_cert_info_filter_treats_omit_as_no_password(omit_value):
    assert omitted(omit_value)
    assert FILTERS["cert_info"](factory.pem(LEAF.cert).decode(), password=omit_value, now=NOW)["thumbprint"]


def test_omitted_keeps_real_values():
    assert not omitted("secret") and not omitted("")


def _errors():
    pfx_b64 = PFX_B64
    return [
        ("wrong-password", pfx_b64, "nope-not-it", "the PFX password is wrong or missing"),
        ("missing-password", pfx_b64, None, "the PFX password is wrong or missing"),
        ("truncated", pfx_b64[:len(pfx_b64) // 2], PASSWORD, "truncated"),
        ("corrupt", base64.b64encode(b"\x30\x82\x01\x00" + b"\x31" * 256).decode(), None, "is corrupt or truncated"),
        ("empty", "", None, "the input is empty"),
        ("private-key", factory.key_pem(LEAF.key).decode(), None, "this is a private key, not a certificate"),
        ("garbage-only", "this is not a certificate", None, "is neither PEM nor valid base64"),
        ("garbage-in-armour", "-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----", None, "PEM block 1 (CERTIFICATE) is corrupt"),
        ("not-text", 42, None, "expected text, got int"),
    ]


@pytest.mark.parametrize("data, password, message", [pytest.param(*row[1:], id=row[0]) for row in _errors()])
def test_cert_info_filter_raises_ansible_filter_error(data, password, message):
    with pytest.raises(AnsibleFilterError) as caught:
        FILTERS["cert_info"](data, password=password)
    assert str(caught.value).startswith("cert_info: ") and message in str(caught.value)
    assert PASSWORD not in str(caught.value) and "nope-not-it" not in str(caught.value)


def test_adfs_rollover_schedule_filter_reproduces_the_seed_example():
    schedule = FILTERS["adfs_rollover_schedule"]("2014-07-25", now="2014-07-01")
    assert (schedule["generation_date"], schedule["promotion_date"]) == ("2014-07-05T00:00:00Z", "2014-07-10T00:00:00Z")


def test_adfs_rollover_schedule_filter_takes_cert_info_and_thresholds():
    info = FILTERS["cert_info"](factory.pem(LEAF.cert).decode(), now=NOW)
    schedule = FILTERS["adfs_rollover_schedule"](info, 30, 10, 3, now=NOW)
    assert schedule["thresholds"] == {"generation": 30, "promotion": 10, "critical": 3}
    assert schedule["days_until_expiry"] == 200 and schedule["days_until_generation"] == 170


@pytest.mark.parametrize("value, kwargs, message", [
    ({"subject": "x"}, {}, "with a not_after key"),
    ("2014-07-25", {"generation_threshold": -5}, "generation_threshold must be a whole number of days"),
    ("someday", {}, "is not an ISO 8601 date"),
])
def test_adfs_rollover_schedule_filter_raises_ansible_filter_error(value, kwargs, message):
    with pytest.raises(AnsibleFilterError, match=f"adfs_rollover_schedule: .*{message}"):
        FILTERS["adfs_rollover_schedule"](value, **kwargs)


def test_estate_plan_filter_reads_each_products_registered_plan_from_any_host_of_its_play():
    document = {"steps": [], "waves": [], "cleanup": [], "status": "converged", "waits": [], "manual_gates": []}
    hostvars = {"localhost": {}, "wfm01": {"__wfm_sharepoint_plan": {"plan": document}}, "adfs01": {"__adfs_entra_plan": {"skipped": True}}}
    lines = FILTERS["estate_plan"](["adfs_entra", "wfm_sharepoint"], hostvars, ["localhost", "adfs01", "wfm01"])
    assert lines[1].startswith(" 1. adfs_entra: not planned") and lines[2].startswith(" 2. wfm_sharepoint: 0 step(s)")


def test_estate_plan_filter_refuses_a_product_list_that_is_not_a_list_of_names():
    with pytest.raises(AnsibleFilterError, match="give the list of product names"):
        FILTERS["estate_plan"]("wfm_sharepoint", {}, [])


@pytest.mark.parametrize("stopped, last", [
    (["wfm_sharepoint"], "Stopped: wfm_sharepoint. The other products ran as planned above"),
    ([], " waits and manual gates: none"),
    (None, " waits and manual gates: none"),
])
def test_estate_plan_filter_ends_with_the_products_that_stopped_and_what_to_do(stopped, last):
    lines = FILTERS["estate_plan"](["wfm_sharepoint"], {"wfm01": {}}, ["wfm01"], stopped)
    assert lines[1].startswith(" 1. wfm_sharepoint: not planned") and lines[-1].startswith(last)
