"""The embedded Dask cluster is closed to other local processes.

Its scheduler speaks TLS with a certificate only the sweep's client holds, so a plain
client, or a TLS client without that certificate, is refused; and nothing listens on an
HTTP port (Dask's scheduler would answer on 8787 and tell its address).
"""

import psutil
import pytest
from dask import distributed

from sim.experiments.dask_cluster import dask_client


def _listening_ports(process: psutil.Process) -> set[int]:
    ports = set()
    for member in [process, *process.children(recursive=True)]:
        for connection in member.net_connections(kind="tcp"):
            if connection.status == psutil.CONN_LISTEN:
                ports.add(connection.laddr.port)
    return ports


def _port(address: str) -> int:
    return int(address.rsplit(":", 1)[1])


def test_the_embedded_cluster_refuses_clients_without_its_certificate():
    with dask_client(workers=1) as client:
        address = client.scheduler.address
        assert address.startswith("tls://127.0.0.1:")
        assert client.submit(sum, [1, 2]).result() == 3  # the sweep's own client works
        for intruder in (address.replace("tls://", "tcp://"), address):
            with pytest.raises((OSError, TimeoutError, TypeError)):
                distributed.Client(intruder, timeout="3s")


def test_the_embedded_cluster_runs_no_http_server():
    with dask_client(workers=2) as client:
        workers = client.scheduler_info()["workers"]
        assert len(workers) == 2
        comms = {_port(client.scheduler.address)}
        comms |= {_port(address) for address in workers}
        comms |= {_port(worker["nanny"]) for worker in workers.values()}
        listening = _listening_ports(psutil.Process())
        assert 8787 not in listening
        assert listening <= comms  # every listener is a TLS comm, none serves HTTP
