# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""AD FS + Entra: the Microsoft Graph side, on the controller (never MSOnline, never Graph PowerShell on AD FS).

PRIVATE to the collection: the name and location may change without notice.

Read (two Graph requests whatever the number of domains): ``GET /domains``, then one ``$batch``
with ``GET /domains/{id}/federationConfiguration`` for every federated domain and the members of
the Global Administrator role (``GET /directoryRoles(roleTemplateId='62e90394-...')/members``), to
find a cloud-only administrator: the way back in if a federation mistake locks federated users
out (seed 001: keep a Global Administrator in a managed namespace such as *.onmicrosoft.com).
Write: ``PATCH /domains/{id}/federationConfiguration/{internalDomainFederationId}`` with only the
certificate properties the step changes ("Update internalDomainFederation"; 200 and the object).
"""
from __future__ import annotations

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._graph import GraphClient, settings_problems
from ansible_collections.certops.microsoft.plugins.module_utils._products.adfs_entra_inputs import graph_settings
from ansible_collections.certops.microsoft.plugins.module_utils._products.adfs_entra_state import federation_state, thumbprint_of_base64

GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"
MEMBERS = f"/directoryRoles(roleTemplateId='{GLOBAL_ADMINISTRATOR}')/members"
WRITE_ROLES = ("Domain-InternalFederation.ReadWrite.All", "Domain.ReadWrite.All")


_CLIENTS: dict = {}     # one client (and token) per settings in this process: the steps of one apply task share it


def client_for(inputs: dict, secrets: dict = None) -> GraphClient:
    settings = graph_settings({**inputs, **(secrets or {})})
    problems = settings_problems(settings)
    if problems:
        raise CertopsError("; ".join(problems))
    if settings not in _CLIENTS:
        _CLIENTS[settings] = GraphClient(settings)
    return _CLIENTS[settings]


# --- read ------------------------------------------------------------------------------------------
def domain_entry(item: dict) -> dict:
    return {"id": str(item.get("id") or "").lower(), "authentication_type": str(item.get("authenticationType") or ""),
            "is_verified": bool(item.get("isVerified")), "federation": None, "raw": None, "error": ""}


def batch_requests(domains: list) -> list:
    requests = [{"id": str(number), "method": "GET", "url": f"/domains/{domain['id']}/federationConfiguration"}
                for number, domain in enumerate(domains, start=1)]
    return requests + [{"id": "admins", "method": "GET", "url": MEMBERS + "?$select=userPrincipalName,onPremisesSyncEnabled"}]


def answer_error(answer: dict) -> str:
    error = ((answer or {}).get("body") or {}).get("error") or {}
    return f"HTTP {(answer or {}).get('status')} {error.get('code', '')}: {error.get('message', 'no answer')}".strip()


def fill_federation(domain: dict, answer: dict) -> None:
    if (answer or {}).get("status") != 200:
        domain["error"] = answer_error(answer)
        return
    values = (answer.get("body") or {}).get("value") or []
    domain["raw"] = values[0] if values else None
    domain["federation"] = federation_state(values[0]) if values else None


def cloud_only_admins(answer: dict, domains: list) -> dict:
    """Global Administrators whose user name is in a managed domain and who are not synced from AD."""
    if (answer or {}).get("status") != 200:
        return {"checked": False, "cloud_only": [], "error": answer_error(answer)}
    managed = {domain["id"] for domain in domains if domain["authentication_type"].lower() == "managed"}
    users = (answer.get("body") or {}).get("value") or []
    cloud = [str(user.get("userPrincipalName")) for user in users if str(user.get("userPrincipalName") or "").rsplit("@", 1)[-1].lower() in managed
             and not user.get("onPremisesSyncEnabled")]
    return {"checked": True, "cloud_only": cloud, "error": ""}


def read_entra(client: GraphClient) -> dict:
    """The tenant's domains, each federated domain's federation configuration, the administrators, in two requests."""
    domains = [domain_entry(item) for item in (client.get("/domains") or {}).get("value") or []]
    federated = [domain for domain in domains if domain["authentication_type"].lower() == "federated"]
    answers = client.batch(batch_requests(federated))
    for number, domain in enumerate(federated, start=1):
        fill_federation(domain, answers.get(str(number)))
    return {"error": "", "roles": client.roles(), "domains": domains, "global_admins": cloud_only_admins(answers.get("admins"), domains),
            "requests": client.requests}


def controller_read(role: str, inputs: dict) -> dict:
    """{"entra": ...} on the host that anchors the Graph read; a failure is data for the plan's gates."""
    if "entra" not in role.split("+"):
        return {}
    try:
        return {"entra": read_entra(client_for(inputs))}
    except CertopsError as error:
        return {"entra": {"error": str(error), "roles": None, "domains": [], "global_admins": {}, "requests": 0}}


# --- write -----------------------------------------------------------------------------------------
def federation_path(parameters: dict) -> str:
    return f"/domains/{parameters['domain']}/federationConfiguration/{parameters['federation_id']}"


def controller_step(step: dict, secrets: dict) -> dict:
    """One PATCH of a domain's federation; the answer as thumbprints, which step_problem compares with the step's goal."""
    parameters = step["parameters"]
    client = client_for(parameters["graph"], secrets)
    answer = client.patch(federation_path(parameters), parameters["body"])
    if answer is None:          # a 204 from a Graph that does not echo the object: read it back
        answer = client.get(federation_path(parameters))
    return {"signing": thumbprint_of_base64(answer.get("signingCertificate")), "next": thumbprint_of_base64(answer.get("nextSigningCertificate"))}


def patch_problem(step: dict, reply: dict) -> str:
    expected = step["parameters"]["expect"]
    wrong = [f"{name} {reply.get(name) or 'none'} instead of {value or 'none'}" for name, value in expected.items() if reply.get(name) != value]
    return f"Graph shows {step['parameters']['domain']} with {'; '.join(wrong)}" if wrong else ""
