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
# The call runs and its change is kept, then the answer is lost on the wire: the case that proves a
# re-run recovers from a write whose outcome the controller never heard.
LOST_ANSWER_FAULTS = ("drop-after", "timeout-after")
FAULT_KINDS = TRANSPORT_FAULTS + TWIN_FAULTS + LOST_ANSWER_FAULTS


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


# --- certops scripts and their twins -------------------------------------------------------
# Every certops PowerShell script (plugins/plugin_utils/scripts/<name>.ps1) carries one marker
# line `# certops-script: <name>`. The win_powershell twin finds it and dispatches to the script
# twin registered under <name>; a script without a known marker fails like a cmdlet error.
SCRIPT_MARKER_PATTERN = r"#\s*certops-script:\s*([a-z0-9_]+)"


class CmdletError(Exception):
    """A terminating error thrown by a cmdlet inside a script twin (message as Windows shows it)."""


@dataclass
class ScriptOutcome:
    """What a script twin hands back to the win_powershell twin."""
    output: list = field(default_factory=list)   # pipeline output objects (JSON-able)
    changed: bool = False                        # $Ansible.Changed
    diff: Optional[dict] = None                  # $Ansible.Diff
    result: Optional[dict] = None                # $Ansible.Result
    errors: list = field(default_factory=list)   # non-terminating error messages
    warnings: list = field(default_factory=list)

# Script twins are plain functions registered with certops_lab.twins.scripts.script_twin(name):
#     fn(estate: Estate, host: HostState, parameters: dict, ctx: CallContext) -> ScriptOutcome
# They may raise CmdletError. In check mode (ctx.check_mode) they must not mutate anything.
#
# Estate (state.py) holds every HostState by inventory name plus the product models, which can
# span hosts (a SharePoint farm, an AD FS farm, a Service Fabric cluster), and the lab clock.
# Product models register safety invariants with certops_lab.invariants.invariant(name):
#     fn(estate: Estate) -> list[str]     (one message per violation, empty when safe)
# The runtime checks every invariant after each mutating call and records violations with the
# call that caused them. Every model is JSON-serialisable through to_dict()/from_dict().
