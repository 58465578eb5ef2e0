"""Where a reward model runs: device names resolved against torch's view of the GPUs (faked
here), the precision "auto" means there, and every tensor of a model on its device."""

import pandas as pd
import pytest
import torch

from sim.corpus import DEFAULT_TARGET_WEIGHTS, builtin_corpus, gold_pairs, weight_vector
from sim.reward import RewardModel, SettingError
from sim.reward.devices import resolve_device, resolve_precision
from sim.reward.state_cache import GPU_PASS_TEXTS, _fixed_passes


@pytest.fixture
def gpus(monkeypatch):
    """Fake ``n`` visible GPUs (current device 0), bf16-capable."""

    def fake(n: int) -> None:
        monkeypatch.setattr(torch.cuda, "is_available", lambda: n > 0)
        monkeypatch.setattr(torch.cuda, "device_count", lambda: n)
        monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
        monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: n > 0)

    return fake


def test_auto_is_the_cpu_without_a_gpu_and_the_current_gpu_with_one(gpus):
    gpus(0)
    assert resolve_device("auto") == "cpu"
    gpus(2)
    assert resolve_device("auto") == "cuda:0"
    assert resolve_device("cuda") == "cuda:0"
    assert resolve_device("cuda:1") == "cuda:1"
    assert resolve_device("cpu") == "cpu"


def test_cuda_without_a_gpu_is_refused_in_one_line_naming_the_field(gpus):
    gpus(0)
    with pytest.raises(SettingError) as error:
        resolve_device("cuda")
    assert error.value.field == "device"
    assert "no GPU" in str(error.value) and "'cpu'" in str(error.value)
    assert "\n" not in str(error.value)


def test_a_gpu_index_beyond_the_machine_is_refused_naming_what_it_has(gpus):
    gpus(1)
    with pytest.raises(SettingError, match=r"has 1 GPU \(cuda:0\); give one of those"):
        resolve_device("cuda:3")


@pytest.mark.parametrize("name", ["gpu", "cuda:", "cuda:x", "CUDA", "cuda:0:1", "", 0, None])
def test_a_malformed_device_is_refused(name):
    with pytest.raises(SettingError, match=r"^device: got .*give 'auto', 'cpu', 'cuda'"):
        resolve_device(name)


def test_precision_auto_is_bf16_on_a_gpu_and_fp32_on_the_cpu(gpus):
    gpus(1)
    assert resolve_precision("auto", "cuda:0") == "bf16"
    assert resolve_precision("auto", "cpu") == "fp32"
    assert resolve_precision("fp32", "cuda:0") == "fp32"
    assert resolve_precision("bf16", "cpu") == "bf16"


def test_a_model_refuses_a_gpu_this_machine_lacks(gpus):
    gpus(0)
    with pytest.raises(SettingError, match=r"^device: got 'cuda:0'"):
        RewardModel(trainable_layers=0, device="cuda:0")


def test_fixed_passes_hold_the_same_number_of_texts_and_keep_every_key_once():
    keys = [(f"p{i}", f"r{i}") for i in range(2 * GPU_PASS_TEXTS + 5)]
    passes = _fixed_passes(keys)
    assert [len(p) for p in passes] == [GPU_PASS_TEXTS] * 3
    assert list(dict.fromkeys(k for p in passes for k in p)) == keys
    assert set(passes[-1][5:]) == {keys[-1]}


def _pairs(n: int) -> pd.DataFrame:
    corpus = builtin_corpus(0)
    return gold_pairs(corpus, corpus.pairs("train").iloc[:n], weight_vector(DEFAULT_TARGET_WEIGHTS))


def _tensors(model: RewardModel) -> list[tuple[str, torch.Tensor]]:
    """Every tensor a fitted model holds: weights, buffers, optimiser state, cached states."""
    found = [(f"network.{n}", t) for n, t in model.network.state_dict().items()]
    if model.head is not None:
        found += [(f"head.{n}", t) for n, t in model.head.state_dict().items()]
    for state in model._optimizer.state.values():
        found += [(f"optimizer.{n}", t) for n, t in state.items() if torch.is_tensor(t)]
    if model._cache is not None:
        found += [(f"cache.{k}", t) for k, t in model._cache._values.items()]
    return found


def _check_on(device: str, layers) -> None:
    model = RewardModel(trainable_layers=layers, max_length=32, device=device, progress=False)
    pairs = _pairs(8)
    model.fit(pairs)
    assert model.settings.device == device
    tensors = _tensors(model)
    assert any(name.startswith("optimizer.") for name, _ in tensors)
    # AdamW's step counter is a CPU scalar by design, even for parameters on a GPU.
    wrong = [
        name
        for name, t in tensors
        if t.device != torch.device(device) and not name.endswith(".step")
    ]
    assert wrong == []
    assert model.accuracy(pairs) >= 0.0


@pytest.mark.parametrize("layers", [0, 1, "all"])
def test_every_tensor_of_a_model_is_on_the_cpu_when_asked(layers):
    _check_on("cpu", layers)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("layers", [0, 2, "all"])
def test_every_tensor_of_a_model_is_on_the_gpu_when_asked(layers):
    _check_on("cuda:0", layers)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_the_gpu_draws_the_same_head_and_comes_close_to_the_cpu():
    """The head is drawn on the CPU, so both devices start from it; after a short fit in fp32
    the rewards agree closely (kernels differ, so not to the bit)."""
    pairs = _pairs(32)
    settings = {"trainable_layers": 2, "precision": "fp32", "max_length": 64, "progress": False}
    cpu = RewardModel(**settings, device="cpu")
    gpu = RewardModel(**settings, device="cuda:0")
    torch.testing.assert_close(gpu.head.weight.cpu(), cpu.head.weight, rtol=0, atol=0)
    cpu.fit(pairs)
    gpu.fit(pairs)
    texts = list(pairs["chosen"])
    prompts = list(pairs["prompt"])
    difference = abs(gpu.score(prompts, texts) - cpu.score(prompts, texts)).max()
    assert difference < 1e-3


def test_fixed_shape_passes_give_a_text_the_same_value_whatever_shares_its_pass():
    """The GPU's way of computing frozen states, run on the CPU: a text's value does not
    depend on the texts computed with it, and matches the text computed alone closely."""
    from sim.reward.state_cache import FrozenStates, SharedStates

    model = RewardModel(trainable_layers=2, max_length=128, device="cpu", progress=False)
    pairs = _pairs(120)
    keys = list(dict.fromkeys(zip(pairs["prompt"], pairs["chosen"], strict=True)))[:40]
    assert len(keys) == 40
    encoder = model._encoder
    encoder.tokenize_missing(keys)
    keys.sort(key=encoder.length)  # the two sets' longest texts differ in length
    assert encoder.length(keys[29]) < encoder.length(keys[-1])
    frozen = FrozenStates(encoder, n_frozen=4, width=384)
    backbone = model.network
    first = SharedStates(1024, fixed_shape=True).get(frozen, backbone, keys[:30])
    second = SharedStates(1024, fixed_shape=True).get(frozen, backbone, keys[20:])
    alone = SharedStates(1024).get(frozen, backbone, keys[20:30])
    for i in range(10):
        assert torch.equal(first[20 + i], second[i])
        torch.testing.assert_close(first[20 + i], alone[i], rtol=1e-4, atol=1e-4)
