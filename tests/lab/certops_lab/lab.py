# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A running lab: estate runtime + WS-Man listeners + the files a playbook run needs.

``LabInstance(topology, state_dir).start()`` loads the estate from ``state_dir`` when it holds one
(state survives stop/start) or builds it from the topology, opens one listener per host, and
writes ``inventory.yml``, ``lab-ca.pem`` and ``ports.json`` into ``state_dir``. The CLI daemon and
the pytest fixtures both use it; its public methods are the control operations.
"""
from __future__ import annotations

import base64
import json
import os
from typing import Optional

from cryptography import x509

from certops_lab.audit import mask_nested
from certops_lab.clock import isoformat
from certops_lab.estate_builder import build_estate
from certops_lab.inventory import write_inventory
from certops_lab.pki import LabCA
from certops_lab.runtime import STATE_FILE, EstateRuntime
from certops_lab.topology import Topology, TopologyError
from certops_lab.wsman import LabServer

INVENTORY_FILE = "inventory.yml"
CA_FILE = "lab-ca.pem"
PORTS_FILE = "ports.json"


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
        self._write_files()
        return self

    def stop(self) -> None:
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
        runtime = EstateRuntime(build_estate(self.topology, self.ca), self.state_dir)
        runtime.save()
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
        write_inventory(self.inventory_path, list(self.topology.hosts.values()), self.ports, self.ca_path)

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
        return isoformat(self.runtime.clock.set(value))

    def clock_advance(self, offset: str) -> str:
        return isoformat(self.runtime.clock.advance(offset))

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

    def operations(self) -> dict:
        """The control operations by name, as the control channel serves them."""
        return {"state": self.host_state, "clock_show": self.clock_show, "clock_set": self.clock_set,
                "clock_advance": self.clock_advance, "fault_add": self.fault_add, "fault_list": self.fault_list,
                "fault_clear": self.fault_clear, "audit": self.audit_lines, "violations": self.violations,
                "call_counts": self.call_counts, "ping": lambda: "pong"}
