"""A throwaway PostgreSQL cluster on loopback for tests (DESIGN.md, "Real parts in tests").

    cluster = start_postgres()          # initdb + pg_ctl start in a temp dir
    try:
        dsn = cluster.create_database("t1")
        ...                             # psycopg.connect(dsn)
    finally:
        cluster.stop()                  # pg_ctl stop -m immediate, then remove the dir

The server binaries come from `pg_config --bindir`, else the newest
/usr/lib/postgresql/<major>/bin (Debian's layout). `initdb` refuses to run as root, and CI runs
as root: then the cluster's directory is owned by the `postgres` system user and every server
command runs through `runuser -u postgres --`. The server listens on 127.0.0.1 and on a Unix
socket in the cluster's own directory, with trust authentication (nothing else can reach it).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SERVER_USER = "postgres"  # the Debian package's system user, used when running as root


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries on this machine (install the `postgresql` package)."""


def server_bindir() -> Path:
    """The folder holding initdb/pg_ctl/postgres, or raise PostgresUnavailable."""
    candidates: list[Path] = []
    if shutil.which("pg_config"):
        with contextlib.suppress(subprocess.CalledProcessError, OSError):
            out = subprocess.run(
                ["pg_config", "--bindir"], capture_output=True, text=True, check=True
            ).stdout.strip()
            candidates.append(Path(out))
    debian = Path("/usr/lib/postgresql")
    if debian.is_dir():
        versions = sorted(
            (p for p in debian.iterdir() if p.name.isdigit()), key=lambda p: int(p.name)
        )
        candidates += [p / "bin" for p in reversed(versions)]
    for path in candidates:
        if (path / "initdb").is_file() and (path / "pg_ctl").is_file():
            return path
    raise PostgresUnavailable(
        "no PostgreSQL server binaries (initdb, pg_ctl) found via pg_config --bindir or "
        "/usr/lib/postgresql/*/bin: apt-get install postgresql"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PostgresCluster:
    """A running cluster: connect with `dsn(dbname)`; superuser `postgres`, no password."""

    root: Path
    port: int
    bindir: Path
    run_as: str | None
    version: str

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "sock"

    def dsn(self, dbname: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={dbname} connect_timeout=5"

    def create_database(self, name: str) -> str:
        """Create an empty database and return its DSN."""
        import psycopg

        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'create database "{name}"')
        return self.dsn(name)

    def stop(self) -> None:
        _run(
            self.run_as,
            [str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "-w", "stop"],
            check=False,
        )
        shutil.rmtree(self.root, ignore_errors=True)

    def log_tail(self, lines: int = 30) -> str:
        log = self.root / "server.log"
        if not log.is_file():
            return ""
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def _run(
    run_as: str | None, argv: list[str], check: bool = True
) -> subprocess.CompletedProcess[str]:
    if run_as:
        argv = ["runuser", "-u", run_as, "--", *argv]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    if check and result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result


def start_postgres() -> PostgresCluster:
    """initdb a new cluster in a temp dir and start it on a free loopback port."""
    bindir = server_bindir()
    run_as = None
    root = Path(tempfile.mkdtemp(prefix="playclips-pg-"))
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam(SERVER_USER)
        except KeyError:
            shutil.rmtree(root, ignore_errors=True)
            raise PostgresUnavailable(
                f"running as root and there is no {SERVER_USER!r} user to run initdb as"
            ) from None
        os.chown(root, user.pw_uid, user.pw_gid)
        run_as = SERVER_USER
    cluster: PostgresCluster | None = None
    try:
        _run(
            run_as,
            [
                str(bindir / "initdb"),
                "-D",
                str(root / "data"),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
        )
        _run(run_as, ["mkdir", "-p", str(root / "sock")])
        version = _run(None, [str(bindir / "postgres"), "--version"]).stdout.strip()
        for _attempt in range(3):  # a free port can be taken between the probe and the bind
            port = _free_port()
            options = (
                f"-p {port} -k {root / 'sock'} -c listen_addresses=127.0.0.1 "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            )
            started = _run(
                run_as,
                [
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(root / "data"),
                    "-l",
                    str(root / "server.log"),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    "30",
                    "start",
                ],
                check=False,
            )
            if started.returncode == 0:
                cluster = PostgresCluster(root, port, bindir, run_as, version)
                break
            time.sleep(0.2)
        if cluster is None:
            log = (root / "server.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"PostgreSQL did not start:\n{log}")
        return cluster
    except BaseException:
        if cluster is None:
            _run(run_as, [str(bindir / "pg_ctl"), "-D", str(root / "data"), "stop"], check=False)
            shutil.rmtree(root, ignore_errors=True)
        raise
