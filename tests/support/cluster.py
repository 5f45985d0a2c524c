"""A real Redis Cluster for tests: N masters (no replicas) on 127.0.0.1, each its own process.

Every node is a `RedisProcess` with the cluster options appended, so a test can stop, restart,
freeze and thaw one node exactly like a single server. Readiness is a condition, never a sleep:
`start()` returns once every node reports `cluster_state:ok` with all 16384 slots assigned.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import redis
from redis.crc import key_slot

from devkit.servers import RedisProcess, free_port

__all__ = ["ClusterNodeProcess", "RedisClusterProcess"]

SLOTS = 16384


class ClusterNodeProcess(RedisProcess):
    """One `--cluster-enabled yes` redis-server with its own node file and bus port."""

    def __init__(self, node_timeout_ms: int, require_full_coverage: bool) -> None:
        super().__init__()
        # The bus port is explicit: the default (port + 10000) may be taken or above 65535.
        self.bus_port = free_port()
        self.node_timeout_ms = node_timeout_ms
        self.require_full_coverage = require_full_coverage

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [
            *super().command(),
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            str(Path(self.dir) / "nodes.conf"),
            "--cluster-port",
            str(self.bus_port),
            "--cluster-node-timeout",
            str(self.node_timeout_ms),
            "--cluster-require-full-coverage",
            "yes" if self.require_full_coverage else "no",
        ]

    def info(self) -> dict[str, str] | None:
        """CLUSTER INFO as strings, or None when the node does not answer (stopped, frozen)."""
        client = redis.Redis(
            host="127.0.0.1",
            port=self.port,
            socket_timeout=0.5,
            socket_connect_timeout=0.5,
            decode_responses=True,
        )
        try:
            raw: Any = client.execute_command("CLUSTER INFO")
        except (redis.RedisError, OSError):
            return None
        finally:
            client.close()
        if isinstance(raw, dict):
            return {str(k): str(v) for k, v in raw.items()}
        text = raw.decode() if isinstance(raw, bytes) else str(raw)
        return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


class RedisClusterProcess:
    """`masters` cluster nodes joined by `redis-cli --cluster create ... --cluster-replicas 0`.

    `node_timeout_ms` is how long a silent master takes to be marked FAIL; with
    `require_full_coverage` (Redis's default) the whole cluster then answers CLUSTERDOWN.
    """

    def __init__(
        self, masters: int = 3, *, node_timeout_ms: int = 2000, require_full_coverage: bool = True
    ) -> None:
        if masters < 3:
            raise ValueError("redis-cli --cluster create needs at least 3 masters")
        cli = shutil.which("redis-cli")
        if cli is None:
            raise RuntimeError("redis-cli not found: it ships with redis-server (redis-tools)")
        self.cli = cli
        self.nodes = [
            ClusterNodeProcess(node_timeout_ms, require_full_coverage) for _ in range(masters)
        ]
        # slot -> index into self.nodes, read from CLUSTER SLOTS once the cluster is up.
        self._owner: list[int] = []

    @property
    def ports(self) -> list[int]:
        return [node.port for node in self.nodes]

    @property
    def urls(self) -> list[str]:
        return [node.url for node in self.nodes]

    @property
    def url(self) -> str:
        """A startup node; a cluster client discovers the others (a cluster has only db 0)."""
        return self.nodes[0].url

    def start(self, timeout: float = 60.0) -> RedisClusterProcess:
        deadline = time.monotonic() + timeout
        try:
            for node in self.nodes:
                node.start()
            done = subprocess.run(
                [
                    self.cli,
                    "--cluster",
                    "create",
                    *(node.address for node in self.nodes),
                    "--cluster-replicas",
                    "0",
                    "--cluster-yes",
                ],
                capture_output=True,
                timeout=max(1.0, deadline - time.monotonic()),
                check=False,
            )
            if done.returncode != 0:
                raise RuntimeError(
                    f"redis-cli --cluster create failed ({done.returncode}):\n"
                    f"{done.stdout.decode(errors='replace')}{done.stderr.decode(errors='replace')}"
                )
            self.wait_ok(max(1.0, deadline - time.monotonic()))
            self._owner = self._read_slot_owners()
        except BaseException:
            self.cleanup()
            raise
        return self

    def wait_until(
        self,
        ready: Callable[[list[dict[str, str] | None]], bool],
        what: str,
        timeout: float = 30.0,
        nodes: Sequence[int] | None = None,
    ) -> None:
        """Poll CLUSTER INFO of `nodes` (indexes; default all) until `ready(infos)` holds."""
        picked = [self.nodes[i] for i in (nodes if nodes is not None else range(len(self.nodes)))]
        deadline = time.monotonic() + timeout
        infos: list[dict[str, str] | None] = []
        while True:
            infos = [node.info() for node in picked]
            if ready(infos):
                return
            if time.monotonic() >= deadline:
                raise TimeoutError(f"cluster not {what} after {timeout}s: {infos}")
            time.sleep(0.05)

    def wait_ok(self, timeout: float = 30.0) -> None:
        """Every node: cluster_state:ok, all slots assigned and ok, every other node known."""
        n = str(len(self.nodes))

        def ok(infos: list[dict[str, str] | None]) -> bool:
            return all(
                info is not None
                and info.get("cluster_state") == "ok"
                and info.get("cluster_slots_assigned") == str(SLOTS)
                and info.get("cluster_slots_ok") == str(SLOTS)
                and info.get("cluster_known_nodes") == n
                for info in infos
            )

        self.wait_until(ok, "ok", timeout)

    def wait_state(self, state: str, nodes: Sequence[int], timeout: float = 30.0) -> None:
        """Until each of `nodes` reports `cluster_state:<state>` (e.g. "fail" once a peer died)."""
        self.wait_until(
            lambda infos: all(i is not None and i.get("cluster_state") == state for i in infos),
            state,
            timeout,
            nodes,
        )

    def node_of(self, key: str | bytes) -> int:
        """Index of the master that owns `key`'s slot."""
        return self._owner[key_slot(key.encode() if isinstance(key, str) else key)]

    def key_on(self, index: int, prefix: str) -> str:
        """A key `<prefix>:<n>` that lands on node `index` (without a hash tag)."""
        for n in range(100_000):
            key = f"{prefix}:{n}"
            if self.node_of(key) == index:
                return key
        raise AssertionError(f"no key with prefix {prefix!r} lands on node {index}")

    def _read_slot_owners(self) -> list[int]:
        by_port = {node.port: i for i, node in enumerate(self.nodes)}
        client = redis.Redis(host="127.0.0.1", port=self.nodes[0].port, socket_timeout=5)
        try:
            ranges: Any = client.execute_command("CLUSTER SLOTS")
        finally:
            client.close()
        owner = [-1] * SLOTS
        for entry in ranges:
            start, end, primary = int(entry[0]), int(entry[1]), entry[2]
            owner[start : end + 1] = [by_port[int(primary[1])]] * (end - start + 1)
        if -1 in owner:
            raise RuntimeError("CLUSTER SLOTS left some slots without an owner")
        return owner

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()

    def cleanup(self) -> None:
        for node in self.nodes:
            node.cleanup()
