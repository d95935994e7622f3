# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A running lab: estate runtime + WS-Man listeners + the files a playbook run needs.

``LabInstance(topology, state_dir).start()`` loads the estate from ``state_dir`` when it holds one
(state survives stop/start) or builds it from the topology, opens one listener per host, and
writes ``inventory.yml``, ``lab-ca.pem`` and ``ports.json`` into ``state_dir``. The CLI daemon and
the pytest fixtures both use it; its public methods are the control operations.

When the estate has an Entra tenant (``products: entra:``) it also serves the loopback Entra
endpoints (graph/: OAuth token endpoint, Microsoft Graph, AD FS federation metadata) over HTTPS
with a lab CA certificate, and publishes them to the inventory as ``certops_lab_*`` variables.

Moving the clock runs the product models' timers (a module of ``certops_lab.products`` with a
``clock_moved(estate, before, after, checkpoint)`` hook: AD FS auto-rollover, Entra's metadata
polling) for the time in between, and checks the invariants after each event.
"""
from __future__ import annotations

import base64
import importlib
import json
import os
from typing import Optional

from cryptography import x509

from certops_lab import invariants
from certops_lab.audit import mask_nested
from certops_lab.clock import isoformat
from certops_lab.estate_builder import build_estate
from certops_lab.graph import GraphServer
from certops_lab.inventory import write_inventory
from certops_lab.pki import LabCA
from certops_lab.products.adfs_estate import signin_probe
from certops_lab.products.entra import add_app_credential
from certops_lab.runtime import STATE_FILE, EstateRuntime
from certops_lab.topology import Topology, TopologyError
from certops_lab.wsman import LabServer

INVENTORY_FILE = "inventory.yml"
TWIN_THUMBPRINTS_FILE = "twin-thumbprints.json"   # {real thumbprint: the twin's}, for an exported topology
CA_FILE = "lab-ca.pem"
PORTS_FILE = "ports.json"
CLOCK_HOST = "clock"


def describe_certificate(entry: dict) -> dict:
    """What a reader of ``state`` wants to see of a stored certificate besides its DER."""
    certificate = x509.load_der_x509_certificate(base64.b64decode(entry["der"]))
    return {"subject": certificate.subject.rfc4514_string(), "issuer": certificate.issuer.rfc4514_string(),
            "not_before": isoformat(certificate.not_valid_before_utc), "not_after": isoformat(certificate.not_valid_after_utc),
            "has_private_key": bool(entry.get("private_key"))}


class LabInstance:
    """One estate served on 127.0.0.1, one port per host."""

    def __init__(self, topology: Topology, state_dir: str):
        self.topology = topology
        self.state_dir = os.path.abspath(state_dir)
        self.runtime: Optional[EstateRuntime] = None
        self.server: Optional[LabServer] = None
        self.ca: Optional[LabCA] = None
        self.ports: dict = {}
        self.graph: Optional[GraphServer] = None

    @property
    def inventory_path(self) -> str:
        return os.path.join(self.state_dir, INVENTORY_FILE)

    @property
    def ca_path(self) -> str:
        return os.path.join(self.state_dir, CA_FILE)

    # --- life cycle ----------------------------------------------------------------------------
    def start(self) -> "LabInstance":
        os.makedirs(self.state_dir, mode=0o700, exist_ok=True)
        self.ca = LabCA.load_or_create(os.path.join(self.state_dir, "ca"))
        self.runtime = self._load_or_build()
        self.server = LabServer(self.runtime.runtime_for, ca=self.ca)
        self.ports = {name: self._listen(spec) for name, spec in self.topology.hosts.items()}
        self.server.start()
        if self.runtime.estate.products.get("entra") is not None:
            self.graph = GraphServer(self.runtime, self.ca, self.state_dir).start()
        self._write_files()
        return self

    def stop(self) -> None:
        if self.graph is not None:
            self.graph.stop()
            self.graph = None
        if self.server is not None:
            self.server.stop()
            self.server = None
        if self.runtime is not None:
            self.runtime.save()

    def _load_or_build(self) -> EstateRuntime:
        if os.path.exists(os.path.join(self.state_dir, STATE_FILE)):
            runtime = EstateRuntime.load(self.state_dir)
            missing = sorted(set(self.topology.hosts) - set(runtime.estate.hosts))
            if missing:
                raise TopologyError(f"state dir {self.state_dir} holds another estate (no host {', '.join(missing)}): "
                                    "use the topology it was started with, or a fresh --state-dir")
            return runtime
        sources: dict = {}
        runtime = EstateRuntime(build_estate(self.topology, self.ca, sources), self.state_dir)
        runtime.save()
        with open(os.path.join(self.state_dir, TWIN_THUMBPRINTS_FILE), "w", encoding="utf-8") as handle:
            json.dump(sources, handle, indent=1, sort_keys=True)
        return runtime

    def _previous_ports(self) -> dict:
        try:
            with open(os.path.join(self.state_dir, PORTS_FILE), encoding="utf-8") as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return {}

    def _listen(self, spec) -> int:
        """Reuse the host's previous port so an inventory survives down/up; any free port otherwise."""
        wanted = spec.port or self._previous_ports().get(spec.name, 0)
        try:
            return self._add_host(spec, wanted)
        except OSError:
            if spec.port:
                raise TopologyError(f"hosts.{spec.name}.port: {spec.port} is in use: pick another port or remove it") from None
            return self._add_host(spec, 0)

    def _add_host(self, spec, port: int) -> int:
        return self.server.add_host(spec.name, port=port, transport=spec.transport, username=spec.username,
                                    password=spec.password)

    def _write_files(self) -> None:
        with open(self.ca_path, "wb") as handle:
            handle.write(self.ca.certificate_pem())
        with open(os.path.join(self.state_dir, PORTS_FILE), "w", encoding="utf-8") as handle:
            json.dump(self.ports, handle, indent=1, sort_keys=True)
        write_inventory(self.inventory_path, list(self.topology.hosts.values()), self.ports, self.ca_path, self.lab_vars())

    def lab_vars(self) -> dict:
        """The loopback Entra endpoints as inventory variables (none without a tenant)."""
        if self.graph is None:
            return {}
        tenant, base = self.graph.tenant, self.graph.base_url
        farms = self.runtime.estate.products.get("adfs", {})
        return {"certops_lab_graph_endpoint": base, "certops_lab_authority_host": base, "certops_lab_tenant_id": tenant.tenant_id,
                "certops_lab_graph_ca_path": self.ca_path, "certops_lab_graph_client_ids": sorted(tenant.apps),
                "certops_lab_adfs_metadata_urls": {name: f"{base}/federationmetadata/{name}/2007-06/FederationMetadata.xml" for name in farms}}

    # --- control operations --------------------------------------------------------------------
    def host_state(self, host: str) -> dict:
        """One host's state as JSON-able data, with every secret masked."""
        estate = self.runtime.estate
        if host not in estate.hosts:
            raise KeyError(f"unknown host {host!r}: use one of {', '.join(sorted(estate.hosts))}")
        with self.runtime.lock:
            data = json.loads(json.dumps(estate.hosts[host].to_dict(), default=str))
        for store in data.get("stores", {}).values():
            for entry in store.get("entries", []):
                entry.update(describe_certificate(entry))
        return mask_nested(data)

    def clock_show(self) -> str:
        return isoformat(self.runtime.clock.now())

    def clock_set(self, value: str) -> str:
        return isoformat(self.move_clock(lambda: self.runtime.clock.set(value)))

    def clock_advance(self, offset: str) -> str:
        return isoformat(self.move_clock(lambda: self.runtime.clock.advance(offset)))

    def move_clock(self, move):
        """Move the clock with ``move()``; the product timers run for the time in between, in order."""
        with self.runtime.lock:
            before = self.runtime.clock.now()
            after = move()
            for hook in clock_hooks():
                hook(self.runtime.estate, before, after, self._clock_checkpoint)
            self.runtime.estate.clock = after
            self.runtime.save()
        return after

    def _clock_checkpoint(self, label: str) -> None:
        self.runtime.record_violations(f"{CLOCK_HOST}#{label}", CLOCK_HOST, "lab.clock", label)

    def fault_add(self, host: str, at_call: int, kind: str, seconds: float = 0.0, message: str = "") -> dict:
        fault = self.runtime.faults.add(host, at_call, kind, seconds, message, known_hosts=self.runtime.estate.hosts)
        self.runtime.save()
        return fault.to_dict()

    def fault_list(self) -> list:
        return self.runtime.faults.to_list()

    def fault_clear(self, host: Optional[str] = None) -> int:
        removed = self.runtime.faults.clear(host)
        self.runtime.save()
        return removed

    def audit_lines(self) -> list:
        return self.runtime.audit.lines()

    def violations(self) -> list:
        return self.runtime.violations.to_list()

    def call_counts(self) -> dict:
        return dict(self.runtime.call_counts)

    # --- the loopback Entra ------------------------------------------------------------------------
    def _graph(self) -> GraphServer:
        if self.graph is None:
            raise KeyError("this lab has no Entra tenant: add a `products: entra:` section to the topology")
        return self.graph

    def graph_fault_add(self, at_call: int, kind: str, seconds: float = 1.0) -> dict:
        fault = self._graph().faults.add(at_call, kind, seconds)
        self.graph.save()
        return fault.to_dict()

    def graph_fault_list(self) -> list:
        return self._graph().faults.to_list()

    def graph_fault_clear(self) -> int:
        removed = self._graph().faults.clear()
        self.graph.save()
        return removed

    def graph_calls(self) -> int:
        return self._graph().calls

    def entra_state(self) -> dict:
        """The tenant as JSON, every secret masked (client secrets are only ever kept hashed)."""
        with self.runtime.lock:
            return mask_nested(json.loads(json.dumps(self._graph().tenant.to_dict(), default=str)))

    def entra_add_app_credential(self, client_id: str, certificate: str = "", secret: str = "") -> dict:
        """Register a certificate (PEM or base64 DER, public part only) or a client secret on an app registration."""
        with self.runtime.lock:
            added = add_app_credential(self._graph().tenant, client_id, certificate, secret)
            self.runtime.save()
        return added

    def signin_probe(self, domain: str) -> dict:
        with self.runtime.lock:
            return signin_probe(self.runtime.estate, domain)

    def operations(self) -> dict:
        """The control operations by name, as the control channel serves them."""
        return {"state": self.host_state, "clock_show": self.clock_show, "clock_set": self.clock_set,
                "clock_advance": self.clock_advance, "fault_add": self.fault_add, "fault_list": self.fault_list,
                "fault_clear": self.fault_clear, "audit": self.audit_lines, "violations": self.violations,
                "call_counts": self.call_counts, "ping": lambda: "pong", "graph_fault_add": self.graph_fault_add,
                "graph_fault_list": self.graph_fault_list, "graph_fault_clear": self.graph_fault_clear, "graph_calls": self.graph_calls,
                "entra_state": self.entra_state, "entra_add_app_credential": self.entra_add_app_credential,
                "signin_probe": self.signin_probe}


def clock_hooks() -> list:
    """The ``clock_moved`` hooks of the product models, in module order."""
    modules = [importlib.import_module(name) for name in invariants.load_product_models()]
    return [module.clock_moved for module in modules if hasattr(module, "clock_moved")]
