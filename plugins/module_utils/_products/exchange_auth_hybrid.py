# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Exchange Auth certificate, hybrid: the dedicated Exchange hybrid application's key credentials, over Microsoft Graph.

PRIVATE to the collection: the name and location may change without notice.

Exchange Online accepts the organisation's OAuth tokens only when the hybrid application holds the key
of the certificate they are signed with; a certificate staged or published without its key on the
application breaks free/busy, MailTips and cloud archives (CSS-Exchange #2250, KB 3089171). Microsoft's
ConfigureExchangeHybridApplication.ps1 -UpdateCertificate uploads the current and next keys; its
merge (Shared/GraphApiFunctions/Add-CertificateToAzureApplication.ps1, MIT) is re-implemented here:
keep every existing key, add a certificate only when no key of the same certificate is there (by
thumbprint: the key's SHA-1, or customKeyIdentifier), and drop expired keys only when asked.

Read (the first server of the group anchors it, read phase only): one or two requests,
``GET /applications(appId='{id}')`` then ``GET /applications/{id}`` (the id may be either).
Write (a controller step): GET with ``$select=id,appId,keyCredentials`` (Graph returns the keys'
values only then), the merge, one ``PATCH /applications/{id}`` with the whole collection ("Update
application": keyCredentials is replaced as a whole), and a GET that shows the result.
"""
from __future__ import annotations

import base64
import binascii
import hashlib

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._graph import GraphClient, GraphError, GraphSettings, settings_problems
from ansible_collections.certops.microsoft.plugins.module_utils._rotation_plan import Step
from ansible_collections.certops.microsoft.plugins.module_utils._time import parse_iso, utc_now

VAR = "exchange_auth_"
ROLE = "graph"
OPERATION = "hybrid_key_credentials"
GRAPH_FIELDS = ("tenant_id", "client_id", "authority_host", "endpoint", "certificate_path", "certificate_thumbprint", "certificate_password",
                "client_secret", "ca_path", "timeout", "retries", "max_retry_after")
SECRET_FIELDS = ("graph_certificate_password", "graph_client_secret")
WRITE_ROLES = ("Application.ReadWrite.All", "Application.ReadWrite.OwnedBy")
ARGUMENT_SPEC = {
    "hybrid_application_id": {"type": "str", "default": ""},
    "hybrid_prune_expired": {"type": "bool", "default": False},
    "graph_tenant_id": {"type": "str", "default": ""},
    "graph_client_id": {"type": "str", "default": ""},
    "graph_authority_host": {"type": "str", "default": "https://login.microsoftonline.com"},
    "graph_endpoint": {"type": "str", "default": "https://graph.microsoft.com"},
    "graph_certificate_path": {"type": "path"},
    "graph_certificate_thumbprint": {"type": "str"},
    "graph_certificate_password": {"type": "str", "no_log": True},
    "graph_client_secret": {"type": "str", "no_log": True},
    "graph_ca_path": {"type": "path"},
    "graph_timeout": {"type": "float", "default": 30.0},
    "graph_retries": {"type": "int", "default": 3},
    "graph_max_retry_after": {"type": "float", "default": 60.0},
}


# --- settings ---------------------------------------------------------------------------------------------
def graph_settings(params: dict) -> GraphSettings:
    """The Graph connection from the options (secrets included; never put the result in a plan)."""
    names = {field if field != "endpoint" else "graph_endpoint": f"{VAR}graph_{field}" for field in GRAPH_FIELDS}
    return GraphSettings(tenant_id=str(params.get("graph_tenant_id") or "").strip(), client_id=str(params.get("graph_client_id") or "").strip().lower(),
                         authority_host=params.get("graph_authority_host") or ARGUMENT_SPEC["graph_authority_host"]["default"],
                         graph_endpoint=params.get("graph_endpoint") or ARGUMENT_SPEC["graph_endpoint"]["default"],
                         certificate_path=params.get("graph_certificate_path") or "", certificate_thumbprint=params.get("graph_certificate_thumbprint") or "",
                         certificate_password=params.get("graph_certificate_password") or "", client_secret=params.get("graph_client_secret") or "",
                         ca_path=params.get("graph_ca_path") or "", timeout=float(params.get("graph_timeout") or 30),
                         retries=int(params.get("graph_retries") if params.get("graph_retries") is not None else 3),
                         max_retry_after=float(params.get("graph_max_retry_after") or 60), names=names)


def graph_public(params: dict) -> dict:
    """The Graph options a plan may hold (no secret), and which secrets the steps need at apply time."""
    public = {f"graph_{field}": params.get(f"graph_{field}") for field in GRAPH_FIELDS if f"graph_{field}" not in SECRET_FIELDS}
    return {**public, "secrets": [name for name in SECRET_FIELDS if params.get(name)]}


def managed(params: dict) -> bool:
    return bool(str(params.get("hybrid_application_id") or "").strip())


def settings_refusals(params: dict) -> list:
    """Every problem of the Graph options, named by the role's variables (only when the hybrid application is managed)."""
    return settings_problems(graph_settings(params)) if managed(params) else []


def client_for(settings: dict, secrets: dict = None) -> GraphClient:
    client_settings = graph_settings({**settings, **(secrets or {})})
    problems = settings_problems(client_settings)
    if problems:
        raise CertopsError("; ".join(problems))
    return GraphClient(client_settings)


# --- keys --------------------------------------------------------------------------------------------------
def key_thumbprint(item: dict) -> str:
    """The certificate's SHA-1 thumbprint from a keyCredential: its key's, else a thumbprint kept as customKeyIdentifier."""
    try:
        if item.get("key"):
            return hashlib.sha1(base64.b64decode(item["key"], validate=True)).hexdigest().upper()  # nosec B324 - a thumbprint
    except (binascii.Error, ValueError):
        return ""
    return str(item.get("customKeyIdentifier") or "").upper()


def key_state(item: dict, now) -> dict:
    end = str(item.get("endDateTime") or "")
    return {"key_id": str(item.get("keyId") or ""), "thumbprint": key_thumbprint(item), "end": end,
            "expired": bool(end) and parse_iso(end) <= now}


def merged_keys(existing: list, additions: list, prune_expired: bool, now) -> tuple:
    """(keyCredentials to PATCH, changed): every existing key kept unless expired and asked, each addition unless its
    certificate is already there."""
    kept = [item for item in existing if not (prune_expired and key_state(item, now)["expired"])]
    held = {key_thumbprint(item) for item in kept}
    added = [{"type": "AsymmetricX509Cert", "usage": "Verify", "key": item["key"], "displayName": f"Exchange Server Auth Certificate {item['thumbprint']}"}
             for item in additions if item["thumbprint"] not in held]
    return kept + added, len(kept) != len(existing) or bool(added)


# --- read ----------------------------------------------------------------------------------------------
def application_path(client: GraphClient, application_id: str) -> str:
    """The object path of the application, whether the id given is its appId or its object id."""
    try:
        found = client.get(f"/applications(appId='{application_id}')", params={"$select": "id"})
    except GraphError as error:
        if error.status != 404:
            raise
        found = client.get(f"/applications/{application_id}", params={"$select": "id"})
    return f"/applications/{found['id']}"


def read_application(client: GraphClient, application_id: str) -> dict:
    path = application_path(client, application_id)
    body = client.get(path, params={"$select": "id,appId,displayName,keyCredentials"})
    now = utc_now()
    return {"error": "", "path": path, "app_id": str(body.get("appId") or ""), "display_name": str(body.get("displayName") or ""),
            "keys": [key_state(item, now) for item in body.get("keyCredentials") or []], "roles": client.roles(), "requests": client.requests}


def controller_read(role: str, inputs: dict) -> dict:
    """{"hybrid_app": ...} on the server that anchors the Graph read, in the read phase (verify probes Exchange Online instead)."""
    if ROLE not in role.split("+") or inputs.get("probe"):
        return {}
    try:
        return {"hybrid_app": read_application(client_for(inputs), str(inputs["hybrid_application_id"]).strip())}
    except CertopsError as error:
        return {"hybrid_app": {"error": str(error), "path": "", "app_id": "", "display_name": "", "keys": [], "roles": None, "requests": 0}}


# --- write ---------------------------------------------------------------------------------------------
def controller_step(step: dict, secrets: dict) -> dict:
    """Merge the certificates' keys into the application's keyCredentials; the answer lists the thumbprints it holds then."""
    parameters = step["parameters"]
    client = client_for(parameters["graph"], secrets)
    current = client.get(parameters["path"], params={"$select": "id,appId,keyCredentials"}) or {}
    keys, changed = merged_keys(current.get("keyCredentials") or [], parameters["add"], parameters["prune_expired"], utc_now())
    if changed:
        client.patch(parameters["path"], {"keyCredentials": keys})
        current = client.get(parameters["path"], params={"$select": "id,appId,keyCredentials"}) or {}
    return {"thumbprints": sorted({key_thumbprint(item) for item in current.get("keyCredentials") or []}), "changed": changed}


def step_problem(step: dict, reply: dict) -> str:
    missing = [item["thumbprint"] for item in step["parameters"]["add"] if item["thumbprint"] not in (reply.get("thumbprints") or [])]
    return f"Graph shows the hybrid application without the key of {', '.join(missing)}" if missing else ""


# --- the plan's part ----------------------------------------------------------------------------------
def application_of(reads: dict) -> dict:
    """The hybrid application as the anchoring server's read found it (None when no read holds it)."""
    for read in reads.values():
        state = (read or {}).get("state") or {}
        if "hybrid_app" in state:
            return state["hybrid_app"]
    return None


def hybrid_gates(gates, org, params: dict, application) -> None:
    if not managed(params):
        return
    application_id = params["hybrid_application_id"]
    if not org.hybrid:
        gates.refuse(f"{VAR}hybrid_application_id is {application_id} but Get-HybridConfiguration shows no hybrid configuration in this "
                     "organisation: check the inventory group, or leave the variable empty")
    if application is None:
        gates.refuse(f"the hybrid application {application_id} was not read: the first server of the {VAR}group group reads it and could "
                     "not be read itself")
    elif application["error"]:
        gates.refuse(f"the hybrid application {application_id} could not be read from Microsoft Graph: {application['error']}; check "
                     f"{VAR}hybrid_application_id (the application or its client ID) and the {VAR}graph_* settings")


def additions(org, application, end) -> list:
    """The certificates whose keys the application must get: the current one at the end of the run, and the next one."""
    held = {key["thumbprint"] for key in application["keys"]}
    wanted = [thumbprint for thumbprint in (end["current"], end["next"]) if thumbprint and thumbprint not in held]
    return [{"thumbprint": thumbprint, "key": org.der(thumbprint)} for thumbprint in dict.fromkeys(wanted)]


def write_needed(org, decision) -> bool:
    """Whether this run (either round) changes the application's keys: a certificate to stage or publish, or the current key missing."""
    held = {key["thumbprint"] for key in org.application["keys"]}
    return decision.action in ("stage", "replace", "activate") or org.auth["current"] not in held


def write_refusal(application, params: dict) -> str:
    roles = application.get("roles")
    if roles is None or set(roles) & set(WRITE_ROLES):
        return ""
    return (f"the Graph app {params['graph_client_id']} may only read ({', '.join(roles) or 'no application permission'}): updating the "
            f"hybrid application's keys needs {' or '.join(WRITE_ROLES)}; grant it (admin consent) and re-run")


def key_step(org, application, end, params: dict, after: list):
    """The controller step that merges the keys into the application (None when nothing is due), or CertopsError."""
    added = additions(org, application, end)
    prune = bool(params["hybrid_prune_expired"]) and any(key["expired"] for key in application["keys"])
    if not added and not prune:
        return None
    refusal = write_refusal(application, params)
    if refusal:
        raise CertopsError(refusal)
    public = graph_public(params)
    what = [f"add the key of {item['thumbprint']}" for item in added] + (["drop the expired keys"] if prune else [])
    return Step(id="hybrid-keys", host=org.acting, phase="stage", action="update the hybrid application's keys", controller=OPERATION,
                detail=f"Microsoft Graph PATCH {application['path']} (keyCredentials merged: existing keys kept): {', '.join(what)}",
                parameters={"graph": public, "path": application["path"], "add": added, "prune_expired": prune},
                secrets={name: name for name in public["secrets"]}, after=list(after))


def secret_values(params: dict, named: set) -> dict:
    found = {}
    for name in SECRET_FIELDS:
        if name in named:
            if not params.get(name):
                raise CertopsError(f"apply: the plan calls Microsoft Graph with {VAR}{name}: give it to the apply task too")
            found[name] = params[name]
    return found
