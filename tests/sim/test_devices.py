"""Where markets may run: a ``reward_model.device`` is checked where the markets will run, before
anything is written, and a GPU market on Dask asks for a worker's ``GPU`` resource.

torch's view of the GPUs is faked (``fake_gpus``), so these tests run on a machine without one;
those marked ``gpu`` need a real one. Sweep runs are :func:`~tests.sim.sweep_files.instant_run`
stand-ins, so no market is trained outside the ``gpu`` tests.
"""

import contextlib
import tomllib

import pytest
import tomli_w
import torch
import typer
from typer.testing import CliRunner

from sim.cli import app as cli_app
from sim.cli.sweeps import report_command, sweep_command
from sim.config import MarketConfig
from sim.config_files import ConfigError
from sim.experiments import executors
from sim.experiments.dask_cluster import dask_client, worker_resources
from sim.experiments.devices import check_devices
from sim.experiments.executors import execute_runs
from sim.experiments.run_keys import RunSpec
from sim.experiments.sweep_config import SweepConfig
from tests.sim.sweep_files import TWO_BY_TWO, instant_run, write_sweep

app = typer.Typer()
app.command("sweep")(sweep_command)
app.command("report")(report_command)

ADDRESS = "tls://10.0.0.5:8786"


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def on_device(device: str) -> str:
    """The 4-run sweep file of ``TWO_BY_TWO`` with every market's reward model on ``device``."""
    return TWO_BY_TWO.replace(
        "trainable_layers = 0,", f'trainable_layers = 0, device = "{device}",'
    )


def assert_refused(result, start: str) -> None:
    """Exit 2 with one line on stderr that begins with ``start``."""
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [result.stderr.strip()], result.stderr
    assert result.stderr.startswith(f"error: {start}"), result.stderr


def _cuda_started(*args):
    raise AssertionError("torch.cuda.current_device() starts CUDA in the sweep process")


@pytest.fixture
def fake_gpus(monkeypatch):
    """``fake_gpus(n)``: torch sees ``n`` GPUs; reading the current device (which would start
    CUDA in this process) fails the test."""

    def fake(count: int) -> None:
        monkeypatch.setattr(torch.cuda, "is_available", lambda: count > 0)
        monkeypatch.setattr(torch.cuda, "device_count", lambda: count)
        monkeypatch.setattr(torch.cuda, "current_device", _cuda_started)

    return fake


@pytest.fixture(autouse=True)
def instant_runs(monkeypatch):
    monkeypatch.setattr(executors, "execute_run", instant_run)


@pytest.fixture(scope="module")
def base_config() -> MarketConfig:
    return SweepConfig.from_dict(tomllib.loads(TWO_BY_TWO)).resolve()[0].config


def configs_on(base: MarketConfig, *devices: str) -> list[MarketConfig]:
    return [
        base.model_copy(
            update={
                "reward_model": base.reward_model.model_copy(update={"device": d}),
                "seed": i,
            }
        )
        for i, d in enumerate(devices)
    ]


# ------------------------------------------------------------------ this machine


@pytest.mark.parametrize("executor", ["serial", "processes", "dask"])
def test_a_gpu_market_where_torch_sees_none_is_refused_before_anything_is_written(
    tmp_path, fake_gpus, executor
):
    fake_gpus(0)
    out = tmp_path / "store"
    result = invoke(
        "sweep", write_sweep(tmp_path, on_device("cuda")), "--out", out, "--executor", executor
    )
    assert_refused(result, "reward_model.device: got 'cuda', but torch ")
    assert "sees no GPU here" in result.stderr
    assert not out.exists()


def test_a_refused_sweep_leaves_an_existing_store_as_it_was(tmp_path, fake_gpus):
    fake_gpus(1)
    out = tmp_path / "store"
    assert invoke("sweep", write_sweep(tmp_path, TWO_BY_TWO), "--out", out).exit_code == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    result = invoke("sweep", write_sweep(tmp_path, on_device("cuda:3"), "gpu.toml"), "--out", out)
    assert_refused(result, "reward_model.device: got 'cuda:3', but this machine has 1 GPU ")
    assert "cuda:0" in result.stderr
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize(("device", "gpus"), [("auto", 0), ("auto", 1), ("cuda", 1), ("cpu", 0)])
def test_a_device_this_machine_has_runs_without_starting_cuda_here(
    tmp_path, fake_gpus, device, gpus
):
    fake_gpus(gpus)
    out = tmp_path / "store"
    result = invoke("sweep", write_sweep(tmp_path, on_device(device)), "--out", out)
    assert result.exit_code == 0, result.output
    assert "4 runs: 4 done" in result.stdout


def test_only_the_markets_that_will_run_are_checked(tmp_path, fake_gpus):
    """A finished GPU sweep resumed on a machine without a GPU has nothing to run."""
    fake_gpus(1)
    sweep, out = write_sweep(tmp_path, on_device("cuda")), tmp_path / "store"
    assert invoke("sweep", sweep, "--out", out).exit_code == 0
    fake_gpus(0)
    result = invoke("sweep", sweep, "--out", out, "--executor", "processes")
    assert result.exit_code == 0, result.output
    assert "4 skipped" in result.stdout


def test_execute_runs_refuses_before_any_market_starts(base_config, fake_gpus, monkeypatch):
    fake_gpus(2)
    monkeypatch.setattr(executors, "execute_run", _cuda_started)
    specs = [RunSpec(str(i), c, {}, 0) for i, c in enumerate(configs_on(base_config, "cuda:2"))]
    with pytest.raises(ConfigError, match=r"^reward_model\.device: got 'cuda:2', but this"):
        next(execute_runs(specs, workers=1))


TINY_RUN_FILE = {
    "seed": 0,
    "population": {"n_annotators": 8, "capacity": 3},
    "buyer": {"budget": 4.0, "rounds": 2, "demand_per_round": 8},
    "reward_model": {"trainable_layers": 0, "epochs": 10, "learning_rate": 0.01, "eval_pairs": 20},
    "compare": {
        "vcg": {},
        "first_price": {"reward_model": {"device": "cuda:1"}},
    },
}


def test_a_run_file_row_on_a_missing_gpu_is_refused_before_out_is_touched(tmp_path, fake_gpus):
    fake_gpus(1)
    path = tmp_path / "run.toml"
    path.write_text(tomli_w.dumps(TINY_RUN_FILE))
    out = tmp_path / "new" / "out"
    result = CliRunner().invoke(cli_app, ["run", str(path), "--out", str(out)])
    assert_refused(result, "reward_model.device: got 'cuda:1', but this machine has 1 GPU ")
    assert not (tmp_path / "new").exists()


# ------------------------------------------------------------------ Dask


class FakeClient:
    """What the sweep asks of a ``distributed.Client``: ``scheduler_info`` and ``map``."""

    def __init__(self, *resources: dict):
        self.workers = {f"tls://10.0.0.{i}:4000": {"resources": r} for i, r in enumerate(resources)}
        self.maps: list[tuple[list[str], dict | None]] = []

    def scheduler_info(self) -> dict:
        return {"address": ADDRESS, "workers": self.workers}

    def map(self, func, keys, configs, key, pure, resources):
        self.maps.append((list(keys), resources))
        return [object() for _ in keys]


def test_only_gpu_markets_ask_dask_for_a_gpu(base_config):
    devices = ["cpu", "cuda", "auto", "cuda:1", "cpu"]
    specs = [
        RunSpec(f"run{i}", config, {}, 0)
        for i, config in enumerate(configs_on(base_config, *devices))
    ]
    client = FakeClient()
    keys = executors._dask_submit(client, specs)
    assert sorted(client.maps, key=str) == sorted(
        [(["run0", "run2", "run4"], None), (["run1", "run3"], {"GPU": 1})], key=str
    )
    assert sorted(keys.values()) == [spec.key for spec in specs]


def test_gpu_markets_on_a_cluster_without_gpu_workers_are_refused(base_config):
    configs = configs_on(base_config, "cuda", "cuda", "cuda:1", "auto")
    for workers in [(), ({},), ({}, {"GPU": 0.5}, {"memory": 4})]:
        with pytest.raises(ConfigError) as refusal:
            check_devices(configs, FakeClient(*workers))
        count = f"{len(workers)} worker{'' if len(workers) == 1 else 's'}"
        assert str(refusal.value) == (
            "reward_model.device: the GPU markets (2 markets with 'cuda', 1 market with "
            f"'cuda:1') need a worker with a GPU resource, but the cluster at {ADDRESS} has "
            f"{count} and none declares one; start GPU workers with `dask worker {ADDRESS} "
            "--nthreads 1 --resources GPU=1` or set reward_model.device = 'auto'"
        )
    check_devices(configs, FakeClient({}, {"GPU": 1}))


def test_a_cluster_runs_cpu_and_auto_markets_without_asking_about_gpus(base_config):
    class Unasked(FakeClient):
        def scheduler_info(self):
            raise AssertionError("the cluster was asked about GPUs")

    check_devices(configs_on(base_config, "cpu", "auto"), Unasked())


def test_a_remote_cluster_is_checked_not_this_machine_and_a_refusal_writes_nothing(
    tmp_path, fake_gpus, monkeypatch
):
    """``cuda`` is for the cluster's machines to have; this one has no GPU."""
    fake_gpus(0)
    client = FakeClient({}, {}, {})

    @contextlib.contextmanager
    def connect(workers, scheduler):
        assert scheduler == ADDRESS
        yield client

    monkeypatch.setattr(executors, "dask_client", connect)
    out = tmp_path / "store"
    sweep = write_sweep(tmp_path, on_device("cuda"))
    result = invoke("sweep", sweep, "--out", out, "--executor", "dask", "--scheduler", ADDRESS)
    assert_refused(
        result,
        "reward_model.device: the GPU markets (4 markets with 'cuda') need a worker with a GPU "
        f"resource, but the cluster at {ADDRESS} has 3 workers and none declares one",
    )
    assert not out.exists() and not client.maps


@pytest.mark.parametrize(("gpus", "declared"), [(0, None), (1, {"GPU": 1}), (2, {"GPU": 1})])
def test_embedded_workers_declare_one_gpu_slot_each_where_torch_sees_a_gpu(
    fake_gpus, gpus, declared
):
    fake_gpus(gpus)
    assert worker_resources() == declared


def test_the_embedded_cluster_declares_the_gpu_slots_to_its_scheduler(fake_gpus):
    fake_gpus(1)
    with dask_client(workers=2) as client:
        workers = client.scheduler_info()["workers"].values()
    assert [worker["resources"] for worker in workers] == [{"GPU": 1}, {"GPU": 1}]
