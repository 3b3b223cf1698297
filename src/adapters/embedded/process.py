"""What both embedded servers need from the operating system.

Each server is a child process of the Python process that started it, never a daemon:
when the service goes away, by a clean exit or by ``kill -9``, its servers go with it
and nothing is left holding the data directory or a port.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from adapters.embedded.errors import EmbeddedServerError

_DATA_DIR_HINT = "choose another with KHOAGIAO_DATA_DIR or fix its permissions"
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
_POLL_SECONDS = 0.1


def prepare_data_dir(path: Path) -> Path:
    """Create the data directory if needed and prove it is writable; return it absolute.

    Checked up front, with an actual file creation rather than ``os.access``, because root
    passes every permission check yet still cannot write to a read-only file system, to a
    path that is a regular file, or below a parent that cannot be created; and because a
    server that finds out on its own fails much later with a message buried in its log.
    """
    path = path.expanduser().resolve()
    if path.exists() and not path.is_dir():
        raise EmbeddedServerError(
            f"data directory {path} exists but is not a directory: "
            "choose another with KHOAGIAO_DATA_DIR or remove that file"
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EmbeddedServerError(
            f"data directory {path} cannot be created ({exc.strerror}): {_DATA_DIR_HINT}"
        ) from None
    try:
        fd, probe = tempfile.mkstemp(prefix=".khoagiao-write-test-", dir=path)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise EmbeddedServerError(
            f"data directory {path} is not writable ({exc.strerror}): {_DATA_DIR_HINT}"
        ) from None
    return path


def prepare_subdir(path: Path) -> None:
    """Create a server's own directory inside the (already checked) data directory."""
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        raise EmbeddedServerError(
            f"{path} exists but is not a directory: remove it or choose another KHOAGIAO_DATA_DIR"
        )
    path.mkdir(mode=0o700, exist_ok=True)


def _load_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return prctl


# Looked up once, in the parent: the child between fork and exec should do as little as
# possible (no dlopen, no imports), since it may hold copies of locks other threads held.
_PRCTL = _load_prctl()


def parent_death_preexec(death_signal: signal.Signals) -> Callable[[], None] | None:
    """A ``preexec_fn`` asking the kernel to send ``death_signal`` to the child when we die.

    Why: a clean shutdown stops the servers explicitly, but ``kill -9`` of the service, an
    OOM kill or a crashing test runner runs no Python code at all. Without this the
    servers would live on as orphans holding the data directory (the next start would find
    it in use) and the port. ``PR_SET_PDEATHSIG`` is Linux only; elsewhere this returns
    None and orphans remain possible after a hard kill.

    Caveat: the kernel ties the signal to the *thread* that forked the child. Start the
    servers from a thread that lives as long as they should (the main thread, or the
    thread running the event loop), not from a short-lived worker thread.

    The setting survives ``execve`` and is set after ``Popen`` has switched to ``user=``
    (CPython runs ``preexec_fn`` after ``setreuid``), which matters because a credential
    change would clear it.
    """
    prctl = _PRCTL
    if prctl is None:
        return None
    parent = os.getpid()
    signum = int(death_signal)

    def arm() -> None:
        if prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0) != 0:
            errno = ctypes.get_errno()
            raise OSError(errno, os.strerror(errno))
        if os.getppid() != parent:  # the parent died before the request was in place
            os.kill(os.getpid(), signum)

    return arm


def spawn(
    argv: Sequence[str | Path],
    *,
    log_path: Path,
    death_signal: signal.Signals,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    user: int | None = None,
    group: int | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``argv`` as a child that dies with us, its output appended to ``log_path``.

    The child gets its own process group so that Ctrl-C in a terminal reaches only the
    service, which then stops its servers in order (drain first, then stop the stores)
    instead of all of them racing to exit at once.
    """
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            [str(arg) for arg in argv],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=env,
            user=user,
            group=group,
            # Without this a child started by root as another user keeps root's
            # supplementary groups.
            extra_groups=[] if user is not None else None,
            process_group=0,
            # Acceptable despite threads: the hook only calls prctl, getppid and kill (no
            # locks, no imports), and it is the only way to arm PDEATHSIG between fork and
            # exec without a wrapper executable.
            preexec_fn=parent_death_preexec(death_signal),  # noqa: PLW1509
        )


def wait_until_ready(
    process: subprocess.Popen[bytes],
    ready: Callable[[], bool],
    *,
    name: str,
    log_path: Path,
    timeout: float,
) -> None:
    """Poll ``ready()`` until it holds; if the server exits or times out, raise with its log.

    On a timeout the server is killed, so a failed start never leaves a process behind.
    """
    deadline = time.monotonic() + timeout
    while True:
        code = process.poll()
        if code is not None:
            raise EmbeddedServerError(
                f"{name} exited with code {code} while starting; last lines of "
                f"{log_path}: {log_tail(log_path)}"
            )
        if ready():
            return
        if time.monotonic() > deadline:
            stop_process(process, signal.SIGKILL, timeout=5)
            raise EmbeddedServerError(
                f"{name} did not become ready within {timeout:g} s; last lines of "
                f"{log_path}: {log_tail(log_path)}"
            )
        time.sleep(_POLL_SECONDS)


def log_tail(path: Path, lines: int = 3) -> str:
    """The last ``lines`` non-empty lines of a log, joined into one line."""
    try:
        with open(path, "rb") as log:
            log.seek(0, os.SEEK_END)
            log.seek(max(0, log.tell() - 8192))
            text = log.read().decode("utf-8", errors="replace")
    except OSError:
        return "(no log)"
    kept = [line.strip() for line in text.splitlines() if line.strip()]
    return " | ".join(kept[-lines:]) or "(empty log)"


def stop_process(process: subprocess.Popen[bytes], sig: signal.Signals, *, timeout: float) -> None:
    """Send ``sig``, wait up to ``timeout`` seconds, then SIGKILL; always reaps the child."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def pid_is_running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting to be reaped is not)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, but someone else's
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return not Path("/proc/self/stat").exists()  # gone meanwhile, or no procfs
    except OSError:
        return True
    state = stat.rpartition(")")[2].split()[:1]
    return state not in (["Z"], ["X"])


def process_name(pid: int) -> str | None:
    """The executable name of ``pid`` (``/proc/PID/comm``), or None if it cannot be read."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return None


def process_arguments(pid: int) -> list[str] | None:
    """The command line of ``pid``, or None if it cannot be read."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return [part.decode("utf-8", errors="replace") for part in raw.split(b"\0") if part]
