"""Where a reward model runs: the device a ``device`` name resolves to on this machine, and the
precision ``"auto"`` means there.

``"auto"`` is the current CUDA device when torch sees a GPU, else the CPU; ``"cuda"`` is the
current CUDA device and ``"cuda:N"`` the N-th, each refused with one line when this machine has
no such GPU. Names are checked without torch by :func:`sim.reward.settings.device_name`.

Determinism: on the CPU a seed fixes every bit (threads fixed). On a GPU the same seed draws
the same head, batches and shuffles (their generator stays on the CPU); whether the results
then repeat to the last bit depends on torch's CUDA kernels, and it has not been measured yet
(``bench/bench_gpu.py`` fits twice and reports it). Likely sources of run-to-run differences:
the backward pass of gathering a deduplicated text's reward for several pairs (atomic adds),
``index_add`` in DPO's log-probabilities, and cuBLAS without a fixed workspace.
``torch.use_deterministic_algorithms(True)`` with
``CUBLAS_WORKSPACE_CONFIG=:4096:8`` makes torch refuse or replace the kernels that are not
deterministic, at some cost in speed; prefmarket leaves that switch to the user.
"""

from __future__ import annotations

import torch

from sim.reward.settings import SettingError, device_name


def gpu_count() -> int:
    """The GPUs torch sees on this machine, found without starting CUDA in this process (so
    that worker processes started afterwards can)."""
    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def resolve_device(name: str) -> str:
    """The concrete device of ``name`` on this machine: ``"cpu"`` or ``"cuda:N"``.

    Raises
    ------
    SettingError
        (field ``device``) For a malformed name, or a CUDA device this machine does not have,
        saying what it has.
    """
    name = device_name(name)
    if name == "cpu":
        return "cpu"
    count = gpu_count()
    if name == "auto":
        return f"cuda:{torch.cuda.current_device()}" if count else "cpu"
    if count == 0:
        build = "a CPU-only build" if torch.version.cuda is None else "no visible GPU"
        raise SettingError(
            "device",
            f"got {name!r}, but torch {torch.__version__} sees no GPU here ({build}); give "
            "'cpu' or 'auto' (README: installing torch with CUDA)",
        )
    index = torch.cuda.current_device() if name == "cuda" else int(name.split(":")[1])
    if index >= count:
        has = "1 GPU (cuda:0)" if count == 1 else f"{count} GPUs (cuda:0 to cuda:{count - 1})"
        raise SettingError(
            "device",
            f"got {name!r}, but this machine has {has}; give one of those, 'auto' or 'cpu'",
        )
    return f"cuda:{index}"


def resolve_precision(precision: str, device: str) -> str:
    """``precision`` on the resolved ``device``: ``"auto"`` is ``"bf16"`` on a CUDA device
    that supports bfloat16 (Ampere and later), else ``"fp32"``; others stay as given."""
    if precision != "auto":
        return precision
    if device.startswith("cuda") and torch.cuda.is_bf16_supported():
        return "bf16"
    return "fp32"
