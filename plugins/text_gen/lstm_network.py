"""The chapter 8 language model: embedding, stacked LSTM with dropout between layers,
dropout, and a linear layer to the vocabulary."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

State = tuple[torch.Tensor, torch.Tensor]


class LSTMModel(nn.Module):
    def __init__(
        self,
        vocab_size: int,
        embed: int,
        hidden: int,
        layers: int,
        dropout: float,
        output_dropout: bool = True,
    ) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed)
        self.lstm = nn.LSTM(
            embed, hidden, num_layers=layers, batch_first=True, dropout=dropout if layers > 1 else 0
        )
        self.dropout = nn.Dropout(dropout if output_dropout else 0.0)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(
        self,
        idx: torch.Tensor,
        targets: torch.Tensor | None = None,
        state: State | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None, State]:
        """Logits (B, T, vocab), the mean cross-entropy when ``targets`` is given, and
        the recurrent state after the last position."""
        out, state = self.lstm(self.embedding(idx), state)
        logits = self.head(self.dropout(out))
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.float().view(-1, logits.size(-1)), targets.reshape(-1))
        return logits, loss, state

    def next_logits(self, idx: torch.Tensor, state: State | None) -> tuple[torch.Tensor, State]:
        """Logits of the token after ``idx``; with a state, only the last token is fed."""
        feed = idx if state is None else idx[:, -1:]
        logits, _, state = self(feed, state=state)
        return logits[:, -1], state
