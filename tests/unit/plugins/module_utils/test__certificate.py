# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""inspect_data and decode_text_input: leaf choice, chain, and the text forms the filter accepts."""
from __future__ import annotations

import base64
import json

import pytest

from ansible_collections.certops.microsoft.plugins.module_utils._certificate import decode_text_input, inspect_data
from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.tests.unit import certfactory as factory

NOW = factory.NOW
ROOT = factory.make_ca()
INTERMEDIATE = factory.make_ca("Contoso Issuing CA", ROOT, days=1800)
LEAF = factory.make_cert(INTERMEDIATE, common_name="adfs.contoso.test", days=45)
SECOND = factory.make_cert(INTERMEDIATE, common_name="second.contoso.test", slot="second")


def thumbprint(issued: factory.Issued) -> str:
    return describe_thumbprint(issued.cert)


def describe_thumbprint(cert) -> str:
    return inspect_data(factory.der(cert), now=NOW)["thumbprint"]


@pytest.mark.parametrize("data, password, leaf", [
    pytest.param(factory.make_pfx(LEAF, (INTERMEDIATE.cert, ROOT.cert)), factory.PFX_PASSWORD, LEAF, id="pfx-leaf-matches-key"),
    pytest.param(factory.pem(ROOT.cert, INTERMEDIATE.cert, LEAF.cert), None, LEAF, id="pem-root-first-leaf-is-first-non-ca"),
    pytest.param(factory.pem(SECOND.cert, LEAF.cert) + factory.key_pem(LEAF.key), None, LEAF, id="pem-key-picks-second-certificate"),
    pytest.param(factory.pem(INTERMEDIATE.cert, ROOT.cert), None, INTERMEDIATE, id="only-cas-first-wins"),
    pytest.param(factory.pem(ROOT.cert, SECOND.cert) + factory.key_pem(LEAF.key), None, SECOND, id="unmatched-key-first-non-ca"),
])
def test_inspect_data_picks_the_leaf(data, password, leaf):
    assert inspect_data(data, password, NOW)["thumbprint"] == thumbprint(leaf)


def test_inspect_data_returns_leaf_certificates_and_chain():
    info = inspect_data(factory.make_pfx(LEAF, (INTERMEDIATE.cert, ROOT.cert)), factory.PFX_PASSWORD, NOW)
    assert info["source_format"] == "pkcs12"
    assert [cert["thumbprint"] for cert in info["certificates"]] == [thumbprint(LEAF), thumbprint(INTERMEDIATE), thumbprint(ROOT)]
    assert [cert["thumbprint"] for cert in info["chain"]] == [thumbprint(INTERMEDIATE), thumbprint(ROOT)]
    assert (info["has_private_key"], info["private_key_matches"], info["days_remaining"]) == (True, True, 45)
    assert [cert["has_private_key"] for cert in info["certificates"]] == [True, False, False]


def test_inspect_data_public_certificate_is_the_leaf_der_without_the_key():
    info = inspect_data(factory.make_pfx(LEAF, (INTERMEDIATE.cert, ROOT.cert)), factory.PFX_PASSWORD, NOW)
    assert base64.b64decode(info["public_certificate"]) == factory.der(LEAF.cert)
    assert inspect_data(base64.b64decode(info["public_certificate"]), now=NOW)["has_private_key"] is False


def test_inspect_data_with_unmatched_key_says_so():
    info = inspect_data(factory.pem(SECOND.cert) + factory.key_pem(LEAF.key), None, NOW)
    assert (info["has_private_key"], info["private_key_matches"]) == (True, False)


def test_inspect_data_top_level_equals_the_leaf_entry():
    info = inspect_data(factory.pem(ROOT.cert, LEAF.cert), None, NOW)
    leaf_entry = info["certificates"][1]
    assert {key: info[key] for key in leaf_entry} == leaf_entry


def test_inspect_data_is_plain_json():
    info = inspect_data(factory.make_pfx(LEAF, (ROOT.cert,)), factory.PFX_PASSWORD, NOW)
    assert json.loads(json.dumps(info)) == info


def test_inspect_data_without_clock_uses_current_time():
    assert inspect_data(factory.der(LEAF.cert))["days_remaining"] <= 45


PEM_TEXT = factory.pem(LEAF.cert).decode()
DER = factory.der(LEAF.cert)


@pytest.mark.parametrize("text, expected", [
    pytest.param(PEM_TEXT, PEM_TEXT.encode(), id="pem-text"),
    pytest.param("Subject: x\n" + PEM_TEXT, ("Subject: x\n" + PEM_TEXT).encode(), id="pem-with-text-around"),
    pytest.param(base64.b64encode(DER).decode(), DER, id="slurp-of-der"),
    pytest.param(base64.encodebytes(DER).decode(), DER, id="base64-with-newlines"),
    pytest.param(base64.b64encode(PEM_TEXT.encode()).decode(), PEM_TEXT.encode(), id="slurp-of-pem"),
    pytest.param(DER, DER, id="bytes-pass-through"),
])
def test_decode_text_input_accepts_pem_and_base64(text, expected):
    assert decode_text_input(text) == expected


@pytest.mark.parametrize("text, message", [
    pytest.param("", "the input is empty", id="empty"),
    pytest.param("  \n", "the input is empty", id="blank"),
    pytest.param("MIIB$xyz", "character U+0024 '$' at position 5 is not base64", id="dollar"),
    pytest.param("MIIBx\u200e", "character U+200E at position 6 is not base64", id="invisible"),
    pytest.param("MIIBx", "its length or '=' padding is wrong", id="bad-padding"),
    pytest.param(None, "expected text, got NoneType", id="none"),
    pytest.param(["MIIB"], "expected text, got list", id="list"),
])
def test_decode_text_input_names_the_problem(text, message):
    with pytest.raises(CertopsError) as caught:
        decode_text_input(text)
    assert message in str(caught.value) and "ansible.builtin.slurp" in str(caught.value)


def test_inspect_data_reads_slurp_content_of_a_pfx():
    slurped = base64.b64encode(factory.make_pfx(LEAF, (ROOT.cert,))).decode()
    info = inspect_data(decode_text_input(slurped), factory.PFX_PASSWORD, NOW)
    assert (info["thumbprint"], len(info["chain"])) == (thumbprint(LEAF), 1)
