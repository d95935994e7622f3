# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Exchange hybrid application in the lab tenant: seeded with the current key by the HCW, Exchange Online's OAuth
follows it, Graph's keyCredentials rules refuse bad PATCHes, and the invariant watches the current key."""
from __future__ import annotations

import base64

import pytest

from certops_lab.graph.api import GraphApiError
from certops_lab.invariants import check_all
from certops_lab.products.exchange_hybrid import exchange_online_problem, hybrid_application, key_thumbprint, refuse_bad_key_credentials

from exchange_lab import exchange_estate, org, read, topology_data

APP_ID = "5b6c7d8e-9fa0-4b1c-8d2e-3f4a5b6c7d8e"


def hybrid_estate(**hybrid):
    data = topology_data()
    data["products"]["exchange"]["hybrid"] = {"application_id": APP_ID, **hybrid}
    data["products"]["entra"] = {"applications": [{"id": "c0ffee00-1234-4abc-9def-0123456789ab", "app_id": APP_ID}]}
    return exchange_estate(data)


def names(estate) -> list:
    return sorted({item.invariant for item in check_all(estate)})


def test_the_hcw_put_the_current_key_on_the_application_and_exchange_online_accepts_tokens():
    estate = hybrid_estate()
    application = hybrid_application(estate)
    assert [key_thumbprint(item) for item in application["keyCredentials"]] == [org(estate).auth.current]
    probes = read(estate, Probe=True, ExchangeOnlineUri="https://outlook.office365.com/ews/exchange.asmx")
    assert probes["OAuthExchangeOnline"] == "Success" and names(estate) == []


def test_without_the_current_key_exchange_online_rejects_tokens_and_that_starting_damage_is_tolerated():
    estate = hybrid_estate(holds_current=False)
    assert "couldn't find the authorization certificate" in exchange_online_problem(estate, org(estate).auth.current)
    assert names(estate) == []


def test_removing_the_current_key_violates():
    estate = hybrid_estate()
    hybrid_application(estate)["keyCredentials"].clear()
    assert names(estate) == ["exchange_online_holds_current_auth_key"]


def credential(der=b"", **fields) -> dict:
    item = {"type": "AsymmetricX509Cert", "usage": "Verify", "key": base64.b64encode(der).decode() if der else "bm90IGEgY2VydA=="}
    item.update(fields)
    return item


@pytest.mark.parametrize("keys", [
    [credential(type="Symmetric")],
    [credential()],
    "twice",
], ids=["wrong_type", "not_a_certificate", "same_certificate_twice"])
def test_graph_refuses_bad_key_credentials(keys):
    estate = hybrid_estate()
    der = base64.b64decode(hybrid_application(estate)["keyCredentials"][0]["key"])
    body = {"keyCredentials": [credential(der), credential(der)] if keys == "twice" else keys}
    with pytest.raises(GraphApiError) as caught:
        refuse_bad_key_credentials(None, None, body)
    assert caught.value.status == 400 and caught.value.code == "Request_BadRequest"
