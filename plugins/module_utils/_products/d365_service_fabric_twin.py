# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE to the collection: D365 on Service Fabric as a lab topology section (module_utils/_twin.py).

The cluster as the primary node read it (nodes, upgrade domains, code version, thumbprint or common-name layout, the
server and admin client certificates), the D365 files (LocalAgent version and paths from the role's variables, the old
and new ConfigTemplate.xml) and the thumbprints the cluster's applications use, named by the templates.
"""
from __future__ import annotations

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._estate import readable
from ansible_collections.certops.microsoft.plugins.module_utils._products.d365_config_template import rotation_thumbprints
from ansible_collections.certops.microsoft.plugins.module_utils._twin import reference

PATHS = ("infrastructure_path", "old_infrastructure_path", "localagent_config_path", "localagent_cli_path", "agent_share_config_path")

# The role variables the twin takes from the inventory (never a secret).
VARIABLES = tuple(f"d365_service_fabric_{path}" for path in PATHS)


def template(d365: dict, key: str, context: dict) -> dict:
    try:
        found = rotation_thumbprints(d365.get(key) or "", key)
    except CertopsError as error:
        context["notes"].append(f"D365: {key} could not be read ({error}); the twin has none")
        return {}
    return {role: reference(thumbprint, context["ids"]) for role, thumbprint in found.items()}


def applications(cluster: dict, d365: dict, context: dict) -> dict:
    """The applications' thumbprints by D365 role: the role each has in the old or the new ConfigTemplate.xml."""
    named = {}
    for key in ("config_template", "old_config_template"):
        try:
            named.update({thumbprint.upper(): role for role, thumbprint in rotation_thumbprints(d365.get(key) or "", key).items()})
        except CertopsError:
            continue
    return {named[thumbprint.upper()]: reference(thumbprint, context["ids"]) for thumbprint in cluster.get("app_thumbprints") or []
            if thumbprint.upper() in named and named[thumbprint.upper()] != "server"}


def nodes(config: dict, hosts: list, context: dict) -> dict:
    by_name = {host.lower(): host for host in hosts}
    found = {}
    for node in config.get("nodes") or []:
        host = by_name.get(str(node.get("nodeName", "")).lower())
        if host is None:
            context["notes"].append(f"D365: Service Fabric node {node.get('nodeName')} is no host of the group; left out")
            continue
        found[host] = {"node_type": node.get("nodeTypeRef"), "upgrade_domain": node.get("upgradeDomain")}
    return found


def security(config: dict, context: dict) -> dict:
    information = (((config.get("properties") or {}).get("security") or {}).get("CertificateInformation")) or {}
    if "ClusterCertificateCommonNames" in information:
        names = information["ClusterCertificateCommonNames"]["CommonNames"]
        clients = information.get("ClientCertificateCommonNames") or [{}]
        return {"layout": "common_name", "common_name": names[0]["CertificateCommonName"],
                "client_common_name": clients[0].get("CertificateCommonName", "")}
    clients = [item["CertificateThumbprint"] for item in information.get("ClientCertificateThumbprints") or [] if item.get("IsAdmin")]
    return {"layout": "thumbprint", "server_certificate": reference((information.get("ClusterCertificate") or {}).get("Thumbprint"), context["ids"]),
            "client_certificate": reference(clients[0] if clients else "", context["ids"])}


def cluster_section(primary: dict, hosts: list, variables: dict, context: dict) -> dict:
    cluster, d365 = primary["cluster"], primary["d365"]
    config = cluster.get("config") or {}
    section = {"name": config.get("name") or "d365", "code_version": cluster.get("code_version"), "nodes": nodes(config, hosts, context),
               **security(config, context),
               "d365": {"localagent_version": d365.get("localagent_version") or "3.2.3.0",
                        **{path: variables.get(f"d365_service_fabric_{path}") or "" for path in PATHS},
                        "config_template": template(d365, "config_template", context),
                        "old_config_template": template(d365, "old_config_template", context),
                        "applications": applications(cluster, d365, context)}}
    return section


def twin(reads: dict, variables: dict, context: dict) -> dict:
    read = readable(reads)
    primary = next((state["primary"] for _role, state in read.values() if "primary" in state), None)
    if primary is None:
        return {}
    return {"service_fabric": cluster_section(primary, list(read), variables, context)}
