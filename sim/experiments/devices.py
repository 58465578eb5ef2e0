"""Where markets can run: their ``reward_model.device`` checked before a sweep or run file writes
anything, and the Dask resource that places a GPU market on a GPU worker.

A config checks its device as a name only (it may be written for another machine), so the
place that runs the markets checks that the device exists there:

- On this machine (``serial``, ``processes``, the embedded Dask cluster) every distinct device
  is resolved (:func:`sim.reward.devices.resolve_device`): ``"cuda:3"`` where there is one GPU
  is refused with one line, as is ``"cuda"`` where torch sees none.
- On a Dask cluster a market whose device names a GPU (``"cuda"``, ``"cuda:N"``: a GPU market)
  is submitted with ``resources={"GPU": 1}`` (:func:`dask_resources`), so the scheduler runs it
  only on a worker started with ``--resources GPU=k``, at most ``k`` of them at once on that
  worker's GPU; a sweep with GPU markets on a cluster where no worker declares ``GPU`` is
  refused (the markets would wait forever). ``"auto"`` and ``"cpu"`` markets run on any
  worker, ``"auto"`` on the worker's GPU where it has one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sim.config import MarketConfig
from sim.config_files import ConfigError

GPU_RESOURCE = "GPU"
"""The Dask worker resource of a GPU slot: a worker started with ``--resources GPU=k`` runs up to
``k`` GPU markets at once, sharing its GPU."""
GPU_MARKET_RESOURCES = {GPU_RESOURCE: 1}
"""What one GPU market asks a Dask scheduler for."""


def is_gpu_device(name: str) -> bool:
    """Whether the device name ``name`` (already checked) asks for a GPU: ``cuda`` or ``cuda:N``."""
    return name.startswith("cuda")


def dask_resources(config: MarketConfig) -> dict[str, int] | None:
    """The worker resources a market asks a Dask scheduler for: one GPU slot for a GPU
    market, none for ``"auto"`` and ``"cpu"`` (any worker)."""
    return dict(GPU_MARKET_RESOURCES) if is_gpu_device(config.reward_model.device) else None


def check_devices(configs: Iterable[MarketConfig], client=None) -> None:
    """Refuse markets whose ``reward_model.device`` cannot run where they are about to.

    Parameters
    ----------
    configs : iterable of MarketConfig
        The markets that will run.
    client : distributed.Client, optional
        The client of the Dask cluster (a scheduler of other machines) that runs them; None:
        they run on this machine.

    Raises
    ------
    ConfigError
        One line naming ``reward_model.device``: a device this machine lacks, or GPU markets
        for a cluster none of whose workers declares a ``GPU`` resource.
    """
    markets = Counter(config.reward_model.device for config in configs)
    if client is None:
        _check_here(markets)
    else:
        _check_cluster(markets, client)


def _check_here(markets: Counter) -> None:
    """Resolve each device on this machine, except those that cannot fail here: ``"auto"``,
    and ``"cuda"`` when torch sees a GPU; resolving them reads the current CUDA device, which
    would start CUDA (and take GPU memory) in this process, which runs no market."""
    from sim.reward import SettingError
    from sim.reward.devices import gpu_count, resolve_device

    for name in sorted(markets):
        if name == "auto" or (name == "cuda" and gpu_count()):
            continue
        try:
            resolve_device(name)
        except SettingError as exc:
            raise ConfigError(f"reward_model.{exc.field}: {exc.problem}") from None


def _check_cluster(markets: Counter, client) -> None:
    """Refuse GPU markets when no worker of ``client``'s cluster has a whole GPU slot."""
    gpu = {name: count for name, count in markets.items() if is_gpu_device(name)}
    if not gpu:
        return
    info = client.scheduler_info()
    workers = info["workers"].values()
    needed = GPU_MARKET_RESOURCES[GPU_RESOURCE]
    if any(w.get("resources", {}).get(GPU_RESOURCE, 0) >= needed for w in workers):
        return
    address = info.get("address", "the scheduler")
    asked = ", ".join(f"{_count(n, 'market')} with {name!r}" for name, n in sorted(gpu.items()))
    raise ConfigError(
        f"reward_model.device: the GPU markets ({asked}) need a worker with a {GPU_RESOURCE} "
        f"resource, but the cluster at {address} has {_count(len(workers), 'worker')} and "
        f"none declares one; start GPU workers with `dask worker {address} --nthreads 1 "
        f"--resources {GPU_RESOURCE}=1` or set reward_model.device = 'auto'"
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
