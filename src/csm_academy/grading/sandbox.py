"""Kernels for trainee code, run inside bubblewrap: no network, no instructor files, limited memory.

The kernel sees the machine read-only, with the course folder (sources, solutions, the secret, the
gradebook, every other submission) and the instructor's repository hidden behind empty folders; it can
write only to its own scratch folder. It talks to the grader over Unix sockets in that folder, because a
kernel in its own network namespace cannot use TCP to the outside. An unsandboxed kernel (a trainee's laptop)
is started, reached and stopped as its machine allows (``portable``).
"""

from __future__ import annotations

import contextlib
import enum
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import zmq
from jupyter_client import AsyncKernelManager

from csm_academy.grading.portable import WINDOWS_ENV, KernelPlatform, kernel_platform
from csm_academy.grading.trainee_runtime import package_dir

WARM_IMPORTS = (
    "import importlib as _il\n"
    "for _m in ('numpy', 'pandas', 'csm_academy.questions.edition', 'csm_academy.questions.harness'):\n"
    "    _il.import_module(_m)\n"
    "del _il, _m\n"
)


UNUSED_BY_GRADED_KERNELS = ("debugpy",)  # ipykernel's debugger


@dataclass(frozen=True)
class Limits:
    """Resource limits for one trainee kernel."""

    memory_bytes: int = 3 * 2**30
    open_files: int = 256
    cpu_seconds: int = 600
    processes: int = 128  # by the pids cgroup, else RLIMIT_NPROC in the sandbox's user namespace (see ProcessCap)
    message_bytes: int = 32 * 2**20  # one message from the kernel, refused unread above this (ZeroMQ MAXMSGSIZE)


@dataclass
class SandboxSpec:
    """Where a kernel may write, what it must not see, and its limits."""

    scratch: Path
    hide: list[Path] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    use_bwrap: bool = True
    package_view: Path | None = None  # shown in place of the installed package (see trainee_runtime.py)

    @cached_property
    def platform(self) -> KernelPlatform:
        """How this kernel is started, reached and stopped: decided once, so its stop matches its start."""
        return kernel_platform(sandboxed=self.use_bwrap)


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
    if process_cap(PIDS_ROOT in usable_limit_roots()) is ProcessCap.DEDICATED_UID:
        return _dedicated_uid_problem()
    return None


def _dedicated_uid_problem() -> str | None:
    """None if a kernel started as DEDICATED_ID reaches this Python, the course package and a scratch folder.

    Root reads anything, the dedicated uid only what others may: a virtual environment under /root, or a
    TMPDIR only root may enter, is out of its reach, and every kernel would die at start with no word why.
    """
    import pwd  # POSIX only: imported here so that trainees on Windows can import the grader for self-study

    with contextlib.suppress(KeyError):
        account = pwd.getpwuid(DEDICATED_ID).pw_name
        return f"uid {DEDICATED_ID}, which kernels run as when no pids cgroup is writable, is the account {account}'s"
    found = "import importlib.util, sys; sys.exit(importlib.util.find_spec('csm_academy') is None)"
    binds = [arg for path in _runtime_paths() for arg in ("--ro-bind", str(path), str(path))]
    with tempfile.TemporaryDirectory(prefix="csm-probe-") as scratch:
        hand_over(Path(scratch), DEDICATED_ID)
        binds += ["--bind", scratch, scratch]
        command = [*_as_dedicated_uid(), "bwrap", *_isolation(), *_system_view(), *binds, sys.executable, "-c", found]
        try:
            run = subprocess.run(command, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"a kernel could not start as uid {DEDICATED_ID} ({exc})"
    if run.returncode == 0:
        return None
    reason = (run.stderr.strip().splitlines() or ["csm_academy not found"])[-1]
    return (
        f"with no writable pids cgroup, kernels run as uid {DEDICATED_ID}, which cannot reach what a kernel "
        f"needs ({reason}); let others read this Python environment and the temporary folder, and pass "
        "through their parent folders (chmod o+rx)"
    )


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
#: Set (to anything) to grade as on a machine with no writable cgroup: how the fallbacks are tested as root.
NO_CGROUPS_ENV = "CSM_ACADEMY_NO_CGROUPS"
#: The host uid and gid a root grader runs kernels as when no pids cgroup can hold them. Root's processes
#: are exempt from RLIMIT_NPROC, a plain uid's are not. Not "nobody" (65534): daemons and NFS squashing
#: share that uid, and a host process with the kernel's uid may enter its namespaces or write its scratch
#: folder. 65520-65533 is left unused by Debian and systemd (dynamic users stop at 65519), and a uid below
#: 65536 exists even in a container that maps only 65536 uids. grade refuses to start if an account has it.
DEDICATED_ID = 65533


class ProcessCap(enum.Enum):
    """What holds the number of processes of one submission."""

    PIDS_CGROUP = enum.auto()
    NPROC = enum.auto()  # RLIMIT_NPROC in the sandbox's user namespace: a non-root grader
    DEDICATED_UID = enum.auto()  # RLIMIT_NPROC, the kernel run as DEDICATED_ID: root's processes are exempt
    NONE = enum.auto()


def usable_limit_roots() -> tuple[Path, ...]:
    """The cgroup controllers this grader can use, none if NO_CGROUPS_ENV is set.

    Those where it may write our folder: the controller's root, or a GROUP_PARENT made and delegated to
    the instructor beforehand by an administrator.
    """
    if os.environ.get(NO_CGROUPS_ENV):
        return ()
    made = {root: root / GROUP_PARENT for root in LIMIT_ROOTS}
    return tuple(root for root, own in made.items() if os.access(own if own.is_dir() else root, os.W_OK))


def process_cap(pids_cgroup: bool, use_bwrap: bool = True) -> ProcessCap:
    """Which mechanism caps a kernel's processes, given whether it got a pids cgroup.

    Since Linux 5.14 RLIMIT_NPROC counts the processes of a uid in each user namespace, so inside bwrap's
    namespace it bounds one sandbox, not every process of the grader's uid; but never for processes whose
    host uid is root, hence a root grader first drops to DEDICATED_ID. Without bwrap there is no namespace
    of the kernel's own, and the limit would count all of the grader's processes: no cap then.
    """
    if pids_cgroup:
        return ProcessCap.PIDS_CGROUP
    if not use_bwrap:
        return ProcessCap.NONE
    if os.geteuid() != 0:
        return ProcessCap.NPROC
    return ProcessCap.DEDICATED_UID if shutil.which("setpriv") else ProcessCap.NONE


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
    usable = usable_limit_roots()
    for root, files in _limit_files(limits).items():
        if root not in usable:
            continue
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
    usable = usable_limit_roots()
    memory = (
        f"{limits.memory_bytes / 2**30:g} GiB of memory for all its processes together (memory cgroup)"
        if MEMORY_ROOT in usable
        else f"{limits.memory_bytes / 2**30:g} GiB of address space per process (no writable memory cgroup here)"
    )
    processes = {
        ProcessCap.PIDS_CGROUP: f"{limits.processes} processes (pids cgroup)",
        ProcessCap.NPROC: f"{limits.processes} processes (RLIMIT_NPROC, counted in the sandbox's own user "
        "namespace: no writable pids cgroup, non-root grader)",
        ProcessCap.DEDICATED_UID: f"{limits.processes} processes (RLIMIT_NPROC, kernels run as the dedicated "
        f"uid {DEDICATED_ID}: no writable pids cgroup, root grader)",
        ProcessCap.NONE: "no process cap (no writable pids cgroup, and no setpriv to leave root)",
    }[process_cap(PIDS_ROOT in usable)]
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
    """The command prefix that puts a kernel in its sandbox with its limits.

    Call it once the scratch folder holds everything the kernel reads (its connection file included): when
    the kernel is to run as DEDICATED_ID, the folder is handed to that uid here.
    """
    if not spec.platform.os_limits:
        return []  # no cgroups, sh or prlimit: a laptop's kernel has only the time limits
    groups = limit_groups(spec.scratch.name, spec.limits)
    cap = process_cap(any(group.parents[1] == PIDS_ROOT for group in groups), spec.use_bwrap)
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
    if cap in (ProcessCap.NPROC, ProcessCap.DEDICATED_UID):
        # Set inside bwrap, never before it: a user namespace takes its creator's RLIMIT_NPROC as the cap on
        # all processes of the host uid, so set outside it would also count the grader's other processes.
        limits.insert(-1, f"--nproc={spec.limits.processes}")
    if not spec.use_bwrap:
        # prlimit is Linux's (util-linux): a trainee grading themselves on macOS or Windows goes without it.
        return enter + (limits if shutil.which("prlimit") else [])
    start_as: list[str] = []
    if cap is ProcessCap.DEDICATED_UID:
        hand_over(spec.scratch, DEDICATED_ID)
        start_as = _as_dedicated_uid()
    # A fresh /tmp first: the runtime (a CI clone's virtual environment, say) may itself live under /tmp.
    cmd = [*start_as, "bwrap", *_isolation(), *_system_view(), "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
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
    # ipykernel starts without its debugger when debugpy cannot be imported: a graded kernel is never
    # debugged, and importing it cost a quarter of a second at every kernel start here.
    for unused in _unused_by_graded_kernels():
        cmd += ["--tmpfs", str(unused)]
    cmd += ["--bind", str(spec.scratch), str(spec.scratch), "--chdir", str(spec.scratch / "work")]
    cmd += ["--unsetenv", "JPY_PARENT_PID"]  # else ipykernel exits: its parent is in another pid namespace
    return enter + cmd + ["--"] + limits


#: The kernel's uid and gid inside its own user namespace ("nobody"): never root, whoever grades.
SANDBOX_ID = 65534


def _as_dedicated_uid() -> list[str]:
    """The command prefix that leaves root for DEDICATED_ID, with no supplementary groups (root's included)."""
    return ["setpriv", f"--reuid={DEDICATED_ID}", f"--regid={DEDICATED_ID}", "--clear-groups", "--"]


def hand_over(scratch: Path, uid: int) -> None:
    """Give the scratch folder to the uid the kernel runs as: the only place it writes, and its ipc sockets.

    Called before the kernel starts, so nothing in the folder is the trainee's yet (links are not followed
    all the same). The rest of the machine the kernel sees stays read-only, and the course stays hidden.
    """
    for folder, dirs, files in os.walk(scratch):
        for name in [folder, *(os.path.join(folder, n) for n in dirs + files)]:
            os.chown(name, uid, uid, follow_symlinks=False)


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


def _unused_by_graded_kernels() -> list[Path]:
    """Installed packages a graded kernel never needs, shown to it as empty folders."""
    found = []
    for name in UNUSED_BY_GRADED_KERNELS:
        spec = importlib.util.find_spec(name)  # a top-level name: found without importing it
        if spec is not None and spec.origin is not None:
            found.append(Path(spec.origin).resolve().parent)
    return found


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel command runs inside ``wrapper(spec)``.

    Async, because nbclient drives kernels from an event loop: a blocking client would wait forever
    on a kernel that died without a word.
    """

    spec: SandboxSpec | None = None

    def client(self, **kwargs: Any) -> Any:
        """A client whose channels refuse, unread, any message from the kernel above the size cap."""
        kc = super().client(**kwargs)
        if self.spec is not None:
            # A default of the client's own context: set before its channels' sockets exist.
            kc.context.setsockopt(zmq.MAXMSGSIZE, self.spec.limits.message_bytes)
        return kc

    def format_kernel_cmd(self, extra_arguments=None) -> list[str]:
        cmd = super().format_kernel_cmd(extra_arguments)
        if cmd and Path(cmd[0]).name.startswith("python"):
            cmd[0] = sys.executable  # the grader's own environment, with csm_academy installed
        return (wrapper(self.spec) if self.spec else []) + cmd


def kernel_manager(spec: SandboxSpec) -> SandboxedKernelManager:
    """A kernel manager for one submission: over Unix sockets inside the scratch folder, else on 127.0.0.1."""
    prepare_scratch(spec)
    ipc = spec.platform.transport == "ipc"
    km = SandboxedKernelManager(
        kernel_name="python3",
        transport=spec.platform.transport,
        ip=str(spec.scratch / "kernel") if ipc else "127.0.0.1",
        connection_file=str(spec.scratch / "kernel.json"),
    )
    km.spec = spec
    # Sandboxed, an interrupt goes to the kernel as a message, and ipykernel signals only itself: a SIGINT to
    # the process group would end bubblewrap, and with it the kernel, instead of the cell that overran.
    km.kernel_spec.interrupt_mode = spec.platform.interrupt_mode
    return km


def kernel_env(spec: SandboxSpec) -> dict[str, str]:
    """The environment a kernel starts with: nothing of the grader's beyond PATH, and unsandboxed what Windows needs."""
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
    if not spec.use_bwrap:
        import site

        # HOME points at the scratch folder, which would hide a `pip install --user` course and ipykernel
        # from the kernel; the sandbox shows only the environment's own site-packages, so only here.
        env["PYTHONUSERBASE"] = site.getuserbase()
    if spec.platform.windows_env:
        env.update({key: os.environ[key] for key in WINDOWS_ENV if key in os.environ})
        if "USERPROFILE" in os.environ:  # Windows' HOME: the kernel's home is its scratch folder's there too
            env["USERPROFILE"] = env["HOME"]
    env.update(spec.env)
    return env
