"""A PostgreSQL cluster and a RabbitMQ node of the fault suite's own, so that stopping them hurts nobody else.

Both run from the machine's binaries (Debian's postgresql and rabbitmq-server packages) in a temporary
directory, on free loopback ports, and are removed when the suite ends.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.processes import free_port


def port_open(port: int) -> bool:
    """True when something accepts TCP connections on 127.0.0.1:port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_port(port: int, is_open: bool, within: float, what: str) -> float:
    """Wait until the port accepts connections (or refuses them); returns the seconds it took."""
    start = time.monotonic()
    while port_open(port) != is_open:
        if time.monotonic() - start > within:
            raise TimeoutError(
                f"{what}: port {port} still {'closed' if is_open else 'open'} after {within} s"
            )
        time.sleep(0.05)
    return time.monotonic() - start


def postgres_bin() -> Path:
    """The newest installed PostgreSQL's server binaries (Debian: /usr/lib/postgresql/<version>/bin)."""
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
    if not versions:
        raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql (apt install postgresql)")
    return versions[-1].parent


class PrivatePostgres:
    """A cluster made by initdb in a temporary directory, with trust authentication, on a free port.

    PostgreSQL refuses to run as root; as root, the cluster runs as the `postgres` user of the package."""

    def __init__(self) -> None:
        self.bin = postgres_bin()
        self.dir = Path(tempfile.mkdtemp(prefix="polls-faults-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "postgresql.log"
        self.port = free_port()
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            shutil.chown(self.dir, self.user)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            log = self.log.read_text()[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{program} {' '.join(args)} failed:\n{result.stdout}{result.stderr}\n{log}")

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        """Start and wait until it accepts connections (pg_ctl -w)."""
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o", options, "start"
        )

    def stop(self, mode: str = "fast") -> None:
        """Stop and wait until it is gone. `fast` is what a service manager does: sessions are cut, in-flight
        transactions roll back, and a clean shutdown checkpoint is written."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    @property
    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def close(self) -> None:
        try:
            if self.running:
                self.stop("immediate")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


class PrivateRabbitMQ:
    """A RabbitMQ node of its own: its node name, ports, database, logs, no plugins, and an Erlang cookie in
    a home directory of its own. It shares only epmd with the machine's node, which keeps names apart."""

    SCRIPTS = Path("/usr/lib/rabbitmq/bin")

    def __init__(self, run_id: str) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="polls-faults-rabbitmq-"))
        self.node = f"polls-faults-{run_id}@localhost"
        self.port = free_port()
        self.dist_port = free_port()
        self.url = f"amqp://guest:guest@127.0.0.1:{self.port}/"
        self.log = self.dir / "server.log"
        (self.dir / "home").mkdir()
        (self.dir / "rabbitmq.conf").write_text(f"listeners.tcp.local = 127.0.0.1:{self.port}\n")
        (self.dir / "enabled_plugins").write_text("[].\n")
        (self.dir / "rabbitmq-env.conf").write_text("")
        loopback_only = "-kernel inet_dist_use_interface {127,0,0,1}"
        self.env = {
            **os.environ,
            "HOME": str(self.dir / "home"),
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.dir / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.dir / "log"),
            "RABBITMQ_PID_FILE": str(self.dir / "rabbitmq.pid"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.dir / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(self.dir / "rabbitmq.conf"),
            # Not the machine's rabbitmq-env.conf, which names the machine's node.
            "RABBITMQ_CONF_ENV_FILE": str(self.dir / "rabbitmq-env.conf"),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": loopback_only,
            "ERL_FLAGS": loopback_only,
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        }
        self.process: subprocess.Popen | None = None

    def _ctl(self, *args: str, timeout: float = 120) -> None:
        result = subprocess.run(
            [str(self.SCRIPTS / "rabbitmqctl"), "-n", self.node, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"rabbitmqctl {' '.join(args)} failed:\n{result.stdout}{result.stderr}\n{self.tail()}"
            )

    def tail(self) -> str:
        return self.log.read_text()[-2000:] if self.log.exists() else ""

    def start(self) -> None:
        """Start the node in the background; wait_ready() waits for it."""
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(self.SCRIPTS / "rabbitmq-server")],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def wait_ready(self, within: float = 120) -> float:
        """Wait until the broker accepts AMQP connections; returns the seconds it took."""
        start = time.monotonic()
        while not port_open(self.port):
            assert self.process is not None and self.process.poll() is None, (
                f"RabbitMQ exited:\n{self.tail()}"
            )
            if time.monotonic() - start > within:
                raise TimeoutError(f"RabbitMQ not accepting on {self.port} after {within} s:\n{self.tail()}")
            time.sleep(0.05)
        return time.monotonic() - start

    def stop(self) -> None:
        """Stop the node (rabbitmqctl stop) and wait until its process has exited."""
        self._ctl("stop", str(self.env["RABBITMQ_PID_FILE"]))
        if self.process is not None:
            self.process.wait(timeout=60)

    def close(self) -> None:
        try:
            if self.process is not None and self.process.poll() is None:
                try:
                    self.stop()
                except (RuntimeError, subprocess.TimeoutExpired):
                    os.killpg(self.process.pid, 9)
                    self.process.wait(timeout=30)
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
