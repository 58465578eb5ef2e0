"""The training objectives: a weighted Bradley-Terry loss on rewards, and DPO's implicit reward.

Training minimises the weighted Bradley-Terry loss (Bradley & Terry 1952; Ouyang et al. 2022,
eq. 1)

    L = sum_i w_i * -log sigmoid(r(x_i, chosen_i) - r(x_i, rejected_i)) / sum_i w_i

Per-pair weights w_i carry, for example, the seed paper's quality weights
w = 0.5 + sigmoid(b_a - b_r) (Zhang & Duan 2024, "QA-DPO").

For a causal backbone the optional DPO objective (Rafailov et al. 2023) uses the same loss on
the implicit reward r(x, y) = beta * (log pi(y | x) - log pi_ref(y | x)), where pi is the
trained LM, pi_ref a frozen copy of the pretrained LM and log pi(y | x) sums the log-probabilities
of the response tokens.
"""

from __future__ import annotations

import torch

from sim.reward.encoding import TextEncoder, TextKey


def bradley_terry_loss(differences: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """The weighted mean of -log sigmoid(r_chosen - r_rejected) over ``differences``."""
    return -(weights * torch.nn.functional.logsigmoid(differences)).sum() / weights.sum()


def response_logp(
    model: torch.nn.Module, encoder: TextEncoder, keys: list[TextKey]
) -> torch.Tensor:
    """Sum of log pi(token | prefix) over each key's response tokens, under causal LM ``model``.

    Only the hidden states that predict response tokens go through the LM head, which
    saves the vocabulary projection of every prompt position.
    """
    hidden, inputs = encoder.hidden_states(model, keys)
    rows, columns = [], []
    for i, key in enumerate(keys):
        tokens = encoder.tokens(key)
        start = max(tokens.response_start, 1)
        rows += [i] * (len(tokens.ids) - start)
        columns += range(start, len(tokens.ids))
    rows_t = torch.tensor(rows, device=hidden.device)
    columns_t = torch.tensor(columns, device=hidden.device)
    logits = model.get_output_embeddings()(hidden[rows_t, columns_t - 1])
    targets = inputs["input_ids"][rows_t, columns_t]
    token_logp = logits.log_softmax(dim=-1).gather(1, targets.unsqueeze(1)).squeeze(1)
    zeros = torch.zeros(len(keys), dtype=token_logp.dtype, device=token_logp.device)
    return zeros.index_add(0, rows_t, token_logp)


class ReferenceLogp:
    """log pi_ref(response | prompt) of the frozen reference LM, computed once per text.

    The reference is the pretrained LM, which reloading restores, so the values stay valid
    across fits, including ``from_scratch`` ones.
    """

    def __init__(self, encoder: TextEncoder, batch_size: int) -> None:
        self._encoder = encoder
        self._batch_size = batch_size
        self._values: dict[TextKey, float] = {}

    def add_missing(self, reference: torch.nn.Module, keys: list[TextKey]) -> None:
        """Compute under ``reference`` and keep the values of tokenised ``keys`` not seen
        before, ``batch_size`` texts a pass."""
        missing = [key for key in dict.fromkeys(keys) if key not in self._values]
        if not missing:
            return
        with torch.inference_mode():
            for batch in self._encoder.length_sorted_batches(missing, self._batch_size):
                values = response_logp(reference, self._encoder, batch).tolist()
                self._values.update(zip(batch, values, strict=True))

    def dpo_rewards(
        self, policy: torch.nn.Module, keys: list[TextKey], beta: float
    ) -> torch.Tensor:
        """The implicit rewards beta * (log pi - log pi_ref) of ``keys`` under ``policy``."""
        policy_logp = response_logp(policy, self._encoder, keys)
        reference = torch.tensor([self._values[key] for key in keys], device=policy_logp.device)
        return beta * (policy_logp - reference)
