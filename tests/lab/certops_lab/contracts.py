"""The seams between the lab's layers. Every layer codes against these types only.

    WS-Man server (server.py, auth.py)        one listener per simulated host on 127.0.0.1
        |  ExecRequest (one per WinRS command: command line + all stdin)
        v
    HostRuntime.execute (runtime.py)           per-host: decode, fault injection, audit, invariants
        |  decoding.decode_exec(...) -> ModuleCall | InternalAction | RawCommand
        v
    twins (twins/*.py)                         Python twins of ansible.windows modules; win_powershell
        |                                      dispatches to script twins by the certops marker
        v
    HostState (state.py)                       certificate stores, files, services, product models

Faults are decided per host at the n-th audited module call (1-based, counted across runs):
transport kinds are raised by the runtime as InjectedFault and turned into wire behaviour by the
server; cmdlet-error and slow are applied by the runtime around the twin.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional


@dataclass
class ExecRequest:
    """One WinRS command as the server received it."""
    host: str                      # inventory hostname of the listener
    command: str                   # text of rsp:Command
    arguments: Optional[str]       # text of rsp:Arguments (None when absent)
    stdin: bytes = b""             # every stdin Send for the command, in order, decoded from base64


@dataclass
class ExecResult:
    stdout: bytes = b""
    stderr: bytes = b""
    rc: int = 0


TRANSPORT_FAULTS = ("drop", "http500", "timeout", "auth")
TWIN_FAULTS = ("cmdlet-error", "slow")
FAULT_KINDS = TRANSPORT_FAULTS + TWIN_FAULTS


class InjectedFault(Exception):
    """Raised by HostRuntime.execute for a transport fault; the server maps `kind` to the wire:
    drop -> close the TCP connection without a reply; http500 -> HTTP 500 with a SOAP fault;
    timeout -> no reply until the client's read timeout has passed; auth -> HTTP 401."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


@dataclass
class ModuleCall:
    """A module execution decoded from a payload (either layout)."""
    name: str                      # resolved FQCN, e.g. "ansible.windows.win_powershell"
    args: dict                     # module options only (no _ansible_* keys)
    check_mode: bool = False
    diff: bool = False
    no_log: bool = False
    invoked_name: Optional[str] = None   # _ansible_module_name as sent
    become: Optional[dict] = None        # {"user": ..., "flags": ...}; never the password
    async_jid: Optional[str] = None
    ansible_version: Optional[str] = None
    layout: str = ""               # "legacy" (2.16-2.18) or "manifest" (2.19+)
    extra_input: bytes = b""       # data after the manifest (put_file through the bootstrap)


@dataclass
class InternalAction:
    """Ansible's own plumbing: mkdtemp, expand_user, put_file, fetch_file, cleanup."""
    kind: str                      # "mkdtemp" | "expand_user" | "put_file" | "fetch_file" | "cleanup"
    params: dict = field(default_factory=dict)   # e.g. {"Path": ...}, {"Directory":..., "Name":...}
    data: bytes = b""              # put_file: the file content, already decoded


@dataclass
class RawCommand:
    script: str                    # decoded and normalised PowerShell text


@dataclass
class CallContext:
    """What a twin may know about the call besides its arguments."""
    host: str
    check_mode: bool = False
    diff: bool = False
    become_user: Optional[str] = None
    now: Any = None                # the lab clock (datetime, UTC)
