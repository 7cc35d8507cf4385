"""How the grader talks to, writes to and stops one kernel on this machine: Linux's way, or a portable one.

A sandboxed kernel (Linux, bubblewrap) always gets Linux's way: Unix sockets in its scratch folder, cases
written through a descriptor of its grading folder (``dir_fd``, ``O_NOFOLLOW``), its whole process group
killed, cgroups and prlimit around it. The instructor's security rests on those. An unsandboxed kernel, a
trainee grading themselves on a laptop, gets each of them where the machine has it, and the portable way
where it does not (Windows has none of them; macOS has all but the cgroups and prlimit). Every such choice
has its home here.

Set ``PORTABLE_ENV`` (to anything) to make an unsandboxed kernel take every portable choice even on Linux,
as on Windows: how the tests run a Windows laptop's grading code here. The sandboxed path ignores it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import zmq

PORTABLE_ENV = "CSM_ACADEMY_PORTABLE"

#: What a Windows program needs from its environment to start at all (without SYSTEMROOT Python cannot
#: open a socket or draw random numbers), kept for an unsandboxed kernel wherever the grader has it.
WINDOWS_ENV = ("SYSTEMROOT", "SYSTEMDRIVE", "WINDIR", "COMSPEC", "PATHEXT", "TEMP", "TMP")


@dataclass(frozen=True)
class KernelPlatform:
    """How the grader starts, talks to, writes cases for and stops one kernel."""

    transport: str  # "ipc": Unix sockets in the scratch folder; "tcp": ports on 127.0.0.1
    dir_fd: bool  # cases written through a descriptor of the grading folder opened before the kernel ran
    kill_group: bool  # killpg on the kernel's session; else the kernel process is killed by its handle
    interrupt_mode: str  # "message": the kernel signals itself; "signal": the manager interrupts it
    os_limits: bool  # cgroups and prlimit around an unsandboxed kernel, where Linux has them
    windows_env: bool  # WINDOWS_ENV kept when present, USERPROFILE pointed at the kernel's home like HOME

    def new_group(self) -> dict[str, Any]:
        """Popen's arguments that start the kernel in a process group of its own, away from the grader's."""
        if sys.platform == "win32":  # no sessions there; a new group also keeps the console's Ctrl+C away
            return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
        return {"start_new_session": True}


#: The sandboxed kernel's, always.
LINUX = KernelPlatform("ipc", dir_fd=True, kill_group=True, interrupt_mode="message", os_limits=True, windows_env=False)
#: Every portable choice, as on Windows.
PORTABLE = KernelPlatform(
    "tcp", dir_fd=False, kill_group=False, interrupt_mode="signal", os_limits=False, windows_env=True
)


def forced() -> bool:
    """Whether PORTABLE_ENV asks unsandboxed kernels to take every portable choice."""
    return bool(os.environ.get(PORTABLE_ENV))


def kernel_platform(sandboxed: bool) -> KernelPlatform:
    """Linux's way for a sandboxed kernel; for an unsandboxed one, what this machine can do."""
    if sandboxed:
        return LINUX
    if forced():
        return PORTABLE
    posix = os.name == "posix"
    return KernelPlatform(
        # jupyter_client's ipc transport is Unix sockets: POSIX only, and only where libzmq was built with it.
        transport="ipc" if posix and zmq.has("ipc") else "tcp",
        dir_fd={os.open, os.unlink} <= os.supports_dir_fd and hasattr(os, "O_DIRECTORY") and hasattr(os, "O_NOFOLLOW"),
        kill_group=hasattr(os, "killpg"),
        # ipykernel ignores interrupt messages on Windows: there the manager sets the kernel's interrupt event.
        interrupt_mode="message" if posix else "signal",
        os_limits=sys.platform.startswith("linux"),
        windows_env=True,
    )
