"""The Dask client a sweep runs on: an embedded, secured ``LocalCluster``, or a given scheduler.

The embedded cluster listens on 127.0.0.1 only, speaks TLS with a throw-away certificate
(``distributed.security.Security.temporary``), and serves no HTTP: no other process of the
machine can connect, run code in its workers or read its state. Worker processes are
single-threaded, and import this module on start (``dask_setup``). On a machine with GPUs each
worker declares one ``GPU`` slot, so GPU markets run there too (``sim.experiments.devices``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sim.experiments.devices import GPU_RESOURCE
from sim.experiments.worker_process import SINGLE_THREAD_ENVIRONMENT, environment, exit_at_once

EMBEDDED_DASK_CONFIG = {
    # Nothing is served over HTTP, even in the moment before the servers are stopped.
    "distributed.scheduler.http.routes": [],
    "distributed.worker.http.routes": [],
    # Every worker, and one the nanny restarts, runs ``dask_setup`` below.
    "distributed.worker.preload": ["sim.experiments.dask_cluster"],
    # Dask's statistical profiler samples the running task's stack 100 times a second; on
    # the sweep bench's runs its thread took a quarter as much CPU again as the run.
    "distributed.worker.profile.enabled": False,
    # Dask's event-loop watchdog (every 20 ms), system monitor (0.5 s) and memory monitor
    # (0.1 s) mostly feed a dashboard; at these rates an idle 2-worker cluster took 11% of
    # a core, at these 2%. Memory limits are still checked every second.
    "distributed.admin.tick.interval": "500ms",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.nanny.pre-spawn-environ": {
        **SINGLE_THREAD_ENVIRONMENT,
        # Dask's default 65536 makes glibc hand freed memory back at once, so torch's
        # large temporary tensors are mapped and unmapped again on every step (a tenth
        # more CPU per run on the bench).
        "MALLOC_TRIM_THRESHOLD_": None,
    },
}
"""Dask settings of the embedded cluster (merged into ``dask.config`` while it starts)."""


@contextlib.contextmanager
def dask_client(workers: int, scheduler: str | None = None) -> Iterator[object]:
    """A ``distributed.Client``: to ``scheduler``, else to a new embedded ``LocalCluster``.

    The embedded cluster has ``workers`` single-threaded worker processes on 127.0.0.1
    and is closed to other local processes: its scheduler, nannies and workers speak TLS
    with a throw-away certificate (``Security.temporary()``), which only this client
    holds, so a plain or certificate-less client is refused; and no HTTP server listens
    (Dask starts one on the scheduler, at 8787, and on every worker even without a
    dashboard; they serve nothing and are stopped at once). Its workers end with this
    process, as Dask's do, and declare :func:`worker_resources`. With ``scheduler``,
    security is the cluster's: give a ``tls://`` address and a Dask ``Security`` config (see
    the README); the connection waits ``distributed.comm.timeouts.connect`` (30 s by default).

    Raises
    ------
    ValueError
        ``--scheduler`` cannot be reached, or TLS needs the ``cryptography`` package.
    """
    import dask
    from dask import distributed
    from distributed.security import Security

    if scheduler is not None:
        try:
            client = distributed.Client(scheduler)
        except Exception as exc:
            raise ValueError(
                f"scheduler: cannot connect to {scheduler} ({type(exc).__name__}: {exc}); "
                "check the address, and for tls:// the Security config (README)"
            ) from None
        with client:
            yield client
        return
    try:
        security = Security.temporary()
    except ImportError:
        raise ValueError(
            "executor: the embedded cluster needs the cryptography package for TLS; "
            "pip install cryptography"
        ) from None
    with (
        environment({}),  # undoes the nanny's copy of pre-spawn-environ into os.environ
        dask.config.set(EMBEDDED_DASK_CONFIG),
        distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            security=security,
            dashboard_address=None,
            resources=worker_resources(),
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        cluster.scheduler.http_server.stop()
        yield client


def worker_resources() -> dict[str, int] | None:
    """What each worker of the embedded cluster declares: one ``GPU`` slot where torch sees a
    GPU, so that GPU markets can run there, else nothing. A worker runs one market at a time,
    so at most ``workers`` markets share the GPU; ``"auto"`` and ``"cuda"`` take the current
    device (cuda:0 unless ``CUDA_VISIBLE_DEVICES`` says otherwise)."""
    from sim.reward.devices import gpu_count  # torch: seconds to import

    return {GPU_RESOURCE: 1} if gpu_count() else None


def dask_setup(worker) -> None:
    """Preload hook of the embedded cluster's workers (``distributed.worker.preload``),
    run in each as it starts (a restarted one too): stop its HTTP server, and skip the
    interpreter's teardown at the end (:func:`~sim.experiments.worker_process.exit_at_once`)."""
    worker.http_server.stop()
    exit_at_once()
