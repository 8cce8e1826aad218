"""The scoring interface shared by the RNN and the baselines (what evaluation talks to)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from torch import Tensor

from recommender.vocab import Vocabulary


class SessionScorer(Protocol):
    """Anything that scores every vocabulary row after every prefix of a session."""

    vocab: Vocabulary

    def session_scores(self, sessions: Sequence[Sequence[int]]) -> Tensor:
        """Scores after each prefix i1..it (t = 1..n-1) of each session, in order.

        Args:
            sessions: Sessions as external ids (unknown ids carry no information).

        Returns:
            (sum(len - 1), len(vocab)) scores, higher is better; column 0 (padding) is ignored.
            A scorer may fold a secondary tie-break key into the score (see PROTOCOL.md).
        """
        ...
