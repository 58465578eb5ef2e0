"""GPU markets on a real GPU: local workers (spawned processes, the embedded Dask cluster) train
them there, and the sweep process itself never starts CUDA. Skipped where torch sees no GPU."""

import tomllib

import pytest
import torch

from sim.experiments.dask_cluster import worker_resources
from sim.experiments.executors import run_sweep
from sim.experiments.result_store import ResultStore
from sim.experiments.sweep_config import SweepConfig
from tests.sim.sweep_files import TINY_BASE

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="torch sees no GPU"),
]


def sweep_on(*devices: str) -> SweepConfig:
    """Two seeds of the tiny head-mode market on each of ``devices``."""
    return SweepConfig.from_dict(
        {
            "seeds": 2,
            "seed": 5,
            "base": tomllib.loads(TINY_BASE)["base"],
            "grid": {"reward_model.device": list(devices)},
        }
    )


@pytest.mark.parametrize("executor", ["processes", "dask"])
def test_local_workers_train_gpu_markets_without_cuda_in_the_sweep_process(tmp_path, executor):
    started_before = torch.cuda.is_initialized()
    store = ResultStore(tmp_path)
    counts = run_sweep(
        sweep_on("cuda", "cuda:0", "cpu"), store, executor=executor, workers=2, progress=False
    )
    assert (counts.done, counts.failed) == (6, 0), store.load_failures().to_dict("records")
    assert started_before or not torch.cuda.is_initialized()


def test_the_embedded_workers_declare_a_gpu_slot_each():
    assert worker_resources() == {"GPU": 1}
