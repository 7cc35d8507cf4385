"""Kernels for trainee code, run inside bubblewrap: no network, no instructor files, limited memory.

The kernel sees the machine read-only, with the course folder (sources, solutions, the secret, the
gradebook, every other submission) and the instructor's repository hidden behind empty folders; it can
write only to its own scratch folder. It talks to the grader over Unix sockets in that folder, because a
kernel in its own network namespace cannot use TCP to the outside.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_client import AsyncKernelManager

from csm_academy.grading.trainee_runtime import package_dir

WARM_IMPORTS = (
    "import importlib as _il\n"
    "for _m in ('numpy', 'pandas', 'csm_academy.questions.edition', 'csm_academy.questions.harness'):\n"
    "    _il.import_module(_m)\n"
    "del _il, _m\n"
)


@dataclass(frozen=True)
class Limits:
    """Resource limits for one trainee kernel."""

    memory_bytes: int = 3 * 2**30
    open_files: int = 256
    cpu_seconds: int = 600
    processes: int = 128  # enforced through the pids cgroup where the machine lets us write it


@dataclass
class SandboxSpec:
    """Where a kernel may write, what it must not see, and its limits."""

    scratch: Path
    hide: list[Path] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    use_bwrap: bool = True
    package_view: Path | None = None  # shown in place of the installed package (see trainee_runtime.py)


def bwrap_problem() -> str | None:
    """None if bubblewrap can sandbox kernels here (with the same namespaces as grading), else a one-line reason."""
    path = shutil.which("bwrap")
    if path is None:
        return "bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    try:
        run = subprocess.run(
            [path, *_isolation(), *_system_view(), "--proc", "/proc", "--dev", "/dev", "true"],
            capture_output=True,
            text=True,
            timeout=20,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap could not start ({exc})"
    if run.returncode != 0:
        reason = (run.stderr.strip().splitlines() or ["unknown error"])[-1]
        return f"bubblewrap cannot create namespaces here ({reason}); some container profiles block user namespaces"
    return None


def prepare_scratch(spec: SandboxSpec) -> None:
    """Make the scratch folder: a home with an IPython profile that warms imports at kernel start."""
    startup = spec.scratch / "home" / ".ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    (startup / "00-warm-imports.py").write_text(WARM_IMPORTS)
    (spec.scratch / "work").mkdir(exist_ok=True)


PIDS_ROOT = Path("/sys/fs/cgroup/pids")
MEMORY_ROOT = Path("/sys/fs/cgroup/memory")
LIMIT_ROOTS = (PIDS_ROOT, MEMORY_ROOT)  # the cgroup controllers that bound a submission as a whole
GROUP_PARENT = "csm-academy"  # every kernel's cgroups sit under this folder of each controller


def _limit_files(limits: Limits) -> dict[Path, dict[str, int]]:
    """Per cgroup controller, the files that cap one kernel and everything it starts, taken together.

    As root RLIMIT_NPROC is not enforced, and RLIMIT_AS holds each process alone (three children of one
    kernel may each take the whole allowance): only these groups bound a submission as a whole.
    """
    return {
        PIDS_ROOT: {"pids.max": limits.processes},
        MEMORY_ROOT: {"memory.limit_in_bytes": limits.memory_bytes, "memory.memsw.limit_in_bytes": limits.memory_bytes},
    }


def limit_groups(name: str, limits: Limits) -> list[Path]:
    """The cgroups capping one kernel's processes and memory, made where the machine lets us write them."""
    made = []
    for root, files in _limit_files(limits).items():
        group = root / GROUP_PARENT / name
        try:
            group.mkdir(parents=True, exist_ok=True)
            for file, value in files.items():
                if (group / file).exists():  # memsw only where swap is accounted
                    (group / file).write_text(str(value))
        except OSError:
            release_group(group)
            continue
        made.append(group)
    return made


def release_group(group: Path | None) -> None:
    """Remove a kernel's cgroup once its processes are gone."""
    if group is not None:
        with contextlib.suppress(OSError):
            group.rmdir()


def release_limit_groups(name: str, attempts: int = 40) -> None:
    """Remove every cgroup of the kernel ``name``, waiting a moment for killed processes to leave them."""
    groups = [root / GROUP_PARENT / name for root in LIMIT_ROOTS]
    for _ in range(attempts):
        for group in groups:
            release_group(group)
        if not any(group.exists() for group in groups):
            return
        time.sleep(0.05)


def limits_in_force(limits: Limits) -> str:
    """What holds a submission on this machine, in one line (``grade`` prints it)."""
    writable = {root: os.access(root, os.W_OK) for root in LIMIT_ROOTS}
    memory = (
        f"{limits.memory_bytes / 2**30:g} GiB of memory for all its processes together (memory cgroup)"
        if writable[MEMORY_ROOT]
        else f"{limits.memory_bytes / 2**30:g} GiB of address space per process (no writable memory cgroup here)"
    )
    processes = (
        f"{limits.processes} processes (pids cgroup)"
        if writable[PIDS_ROOT]
        else "no process cap (no writable pids cgroup here)"
    )
    return (
        f"limits per submission: {memory}; {processes}; {limits.cpu_seconds} s of CPU and "
        f"{limits.open_files} open files per process"
    )


SCRATCH_PREFIX = "csm-grade-"  # then the pid of the process that started the kernel, then a random part


def owner_gone(name: str, prefix: str = SCRATCH_PREFIX) -> bool:
    """Whether the process that made ``name`` (``<prefix><pid>-...``, a kernel's by default) has died."""
    try:
        pid = int(name[len(prefix) :].split("-", 1)[0])
    except ValueError:
        return False  # not named by this version: leave it alone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def sweep_limit_groups() -> None:
    """Remove kernel cgroups left empty, and kill kernels whose grading worker died.

    A worker killed while its kernel was starting can leave that kernel running (bwrap's
    --die-with-parent cannot fire for a parent that died before it started): its cgroup still
    lists it, and the pid in the group's name says whose it was.
    """
    for root in LIMIT_ROOTS:
        with contextlib.suppress(OSError):
            for group in (root / GROUP_PARENT).glob(f"{SCRATCH_PREFIX}*"):
                if owner_gone(group.name):
                    _kill_group_members(group)
                    shutil.rmtree(Path(tempfile.gettempdir()) / group.name, ignore_errors=True)
                release_group(group)


def _kill_group_members(group: Path) -> None:
    for _ in range(20):  # a process may fork while we kill: repeat until the group is empty
        try:
            pids = [int(p) for p in (group / "cgroup.procs").read_text().split()]
        except OSError:
            return
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.05)


def wrapper(spec: SandboxSpec) -> list[str]:
    """The command prefix that puts a kernel in its sandbox with its limits."""
    groups = limit_groups(spec.scratch.name, spec.limits)
    # Join the cgroups first, so bwrap, the kernel and anything it starts are all counted.
    joins = " && ".join(f'echo $$ > "${i}/cgroup.procs"' for i in range(1, len(groups) + 1))
    enter = ["sh", "-c", f'{joins} && shift {len(groups)} && exec "$@"', "join", *map(str, groups)] if groups else []
    limits = [
        "prlimit",
        f"--as={spec.limits.memory_bytes}",
        f"--nofile={spec.limits.open_files}",
        f"--cpu={spec.limits.cpu_seconds}",
        "--",
    ]
    if not spec.use_bwrap:
        return enter + limits
    # A fresh /tmp first: the runtime (a CI clone's virtual environment, say) may itself live under /tmp.
    cmd = ["bwrap", *_isolation(), *_system_view(), "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    visible = _runtime_paths()
    for needed in visible:
        cmd += ["--ro-bind", str(needed), str(needed)]
    # The allowlist shows nothing of the instructor's; a course folder that happens to sit inside one of the
    # runtime folders (a course kept inside the virtual environment, say) is still covered.
    for hidden in spec.hide:
        if hidden.is_dir() and any(hidden == v or v in hidden.parents for v in visible):
            cmd += ["--tmpfs", str(hidden)]
    if spec.package_view is not None:  # over the real package, wherever it is installed: no reference code
        cmd += ["--ro-bind", str(spec.package_view), str(package_dir())]
    cmd += ["--bind", str(spec.scratch), str(spec.scratch), "--chdir", str(spec.scratch / "work")]
    cmd += ["--unsetenv", "JPY_PARENT_PID"]  # else ipykernel exits: its parent is in another pid namespace
    return enter + cmd + ["--"] + limits


#: The kernel's uid and gid inside its own user namespace ("nobody"): never root, whoever grades.
SANDBOX_ID = 65534


def _isolation() -> list[str]:
    """Namespaces and privileges: an unprivileged user with no capabilities, no network, its own pids.

    A new user namespace with every capability dropped means that even when the grader runs as root the
    kernel cannot mount, trace or change ownership, and --disable-userns stops it from making a namespace
    of its own to regain them. No --new-session: the kernel must stay in the process group the grader
    kills (its stdin is /dev/null, so there is no terminal to inject keystrokes into).
    """
    return [
        "--unshare-user",
        "--uid",
        str(SANDBOX_ID),
        "--gid",
        str(SANDBOX_ID),
        "--disable-userns",
        "--cap-drop",
        "ALL",
        "--unshare-net",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--die-with-parent",
    ]


def _system_view() -> list[str]:
    """The system's programs and libraries, read-only: /usr and the top-level links or folders into it.

    Nothing else of the host is there: no /etc, /home, /root, /srv, /run (so no host Unix sockets), /var
    or /sys; the kernel's Python, its environment and the course package are added by ``wrapper``.
    """
    view = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/") / name
        if path.is_symlink():
            view += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            view += ["--ro-bind", str(path), str(path)]
    return view


def _runtime_paths() -> list[Path]:
    """What a kernel needs to start: this Python, its environment, and the installed course package."""
    paths = {
        Path(sys.prefix).resolve(),
        Path(sys.base_prefix).resolve(),
        Path(sys.executable).resolve().parent,
        package_dir().parent,
    }
    out: list[Path] = []
    for path in sorted(paths, key=lambda p: len(p.parts)):
        if not any(path == kept or kept in path.parents for kept in out):  # already visible through a parent
            out.append(path)
    return out


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel command runs inside ``wrapper(spec)``.

    Async, because nbclient drives kernels from an event loop: a blocking client would wait forever
    on a kernel that died without a word.
    """

    spec: SandboxSpec | None = None

    def format_kernel_cmd(self, extra_arguments=None) -> list[str]:
        cmd = super().format_kernel_cmd(extra_arguments)
        if cmd and Path(cmd[0]).name.startswith("python"):
            cmd[0] = sys.executable  # the grader's own environment, with csm_academy installed
        return (wrapper(self.spec) if self.spec else []) + cmd


def kernel_manager(spec: SandboxSpec) -> SandboxedKernelManager:
    """A kernel manager for one submission, talking over Unix sockets inside the scratch folder."""
    prepare_scratch(spec)
    km = SandboxedKernelManager(
        kernel_name="python3",
        transport="ipc",
        ip=str(spec.scratch / "kernel"),
        connection_file=str(spec.scratch / "kernel.json"),
    )
    km.spec = spec
    return km


def kernel_env(spec: SandboxSpec) -> dict[str, str]:
    """The environment a sandboxed kernel starts with (nothing of the instructor's beyond PATH)."""
    import os

    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(spec.scratch / "home"),
        "IPYTHONDIR": str(spec.scratch / "home" / ".ipython"),
        "MPLCONFIGDIR": str(spec.scratch / "home"),
        "LANG": "C.UTF-8",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # older OpenBLAS builds need these on some CPUs
        if key in os.environ:
            env[key] = os.environ[key]
    env.update(spec.env)
    return env
