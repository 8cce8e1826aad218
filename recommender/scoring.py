"""Scoring for evaluation: the interface the RNN and the baselines share, and the RNN's scores.

The RNN scores every prefix of each session with its batched forward pass, a block of
positions at a time, so memory stays linear in a session's length (radio sessions run to
thousands of plays).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol, runtime_checkable

import torch
from torch import Tensor

from recommender.model import LOG_ZERO, SessionRNN, repeat_flags
from recommender.vocab import Vocabulary

#: Sessions scored together (one batched run of the cell) ...
EVAL_CHUNK = 48
#: ... as long as their padded positions stay within this (a longer session runs alone).
EVAL_CELLS = 4096
#: Positions scored at once: bounds the (positions x items) scores and the repeat attention.
EVAL_BLOCK = 256


class SessionScorer(Protocol):
    """Anything that scores every vocabulary row after every prefix of a session."""

    @property
    def vocab(self) -> Vocabulary:
        """Its rows' track ids."""
        ...

    def session_scores(self, sessions: Sequence[Sequence[int]]) -> Tensor:
        """Scores after each prefix i1..it (t = 1..n-1) of each session, in order.

        Args:
            sessions: Sessions as external ids (unknown ids carry no information).

        Returns:
            (sum(len - 1), len(vocab)) scores, higher is better; column 0 (padding) is ignored.
            A scorer may fold a secondary tie-break key into the score (see PROTOCOL.md).
        """
        ...


@runtime_checkable
class BlockScorer(Protocol):
    """A scorer that can hand its rows over a block at a time (the RNN: long sessions)."""

    def score_blocks(self, sessions: Sequence[Sequence[int]]) -> Iterator[Tensor]:
        """``session_scores(sessions)``'s rows, in order, in blocks."""
        ...


@torch.no_grad()
def score_blocks(
    model: SessionRNN, vocab: Vocabulary, sessions: Sequence[Sequence[int]]
) -> Iterator[Tensor]:
    """Scores over all rows after every prefix of each session, in protocol order, at most
    :data:`EVAL_BLOCK` rows at a time.

    Each row is log p(next item) up to a per-row constant (ranking is all evaluation needs).
    Each session runs once from a zero state; the cell is causal, so the output at position t
    depends on i1..it only. Unknown ids enter as the padding row (a zero input). Memory is
    linear in a session's length: radio sessions run to thousands of plays.
    """
    model.eval()
    for chunk in _chunks(sessions):
        yield from _chunk_blocks(model, vocab, chunk)


def _chunk_blocks(
    model: SessionRNN, vocab: Vocabulary, sessions: Sequence[Sequence[int]]
) -> Iterator[Tensor]:
    width = max((len(s) - 1 for s in sessions), default=0)
    if width <= 0:
        return
    inputs = torch.zeros((len(sessions), width), dtype=torch.long)
    valid = torch.zeros((len(sessions), width), dtype=torch.bool)
    index = vocab.index
    for i, s in enumerate(sessions):
        rows = [index(t) or 0 for t in s[:-1]]
        inputs[i, : len(rows)] = torch.tensor(rows, dtype=torch.long)
        valid[i, : len(rows)] = True
    vectors = model.item_input(inputs)
    outputs, _ = model.run(inputs, vectors=vectors)
    query = model.query(outputs, inputs, vectors=vectors)
    flags = repeat_flags(inputs)
    places = valid.nonzero()  # (session, position) in protocol order
    for start in range(0, len(places), EVAL_BLOCK):
        b, t = places[start : start + EVAL_BLOCK].unbind(1)
        attention, history = _block_attention(model, inputs, query, flags, b, t)
        yield model.full_log_scores(
            outputs[b, t], query[b, t], attention, history, flags[b, t], normalized=False
        )


def _chunks(sessions: Sequence[Sequence[int]]) -> Iterator[Sequence[Sequence[int]]]:
    """Consecutive runs of ``sessions`` to score together.

    At most :data:`EVAL_CHUNK` sessions whose padded positions stay within :data:`EVAL_CELLS`,
    so one long session never pads its shorter neighbours to its length.
    """
    start, width = 0, 0
    for end, session in enumerate(sessions):
        grown = max(width, len(session) - 1)
        if end > start and (end - start >= EVAL_CHUNK or (end - start + 1) * grown > EVAL_CELLS):
            yield sessions[start:end]
            start, grown = end, len(session) - 1
        width = grown
    if start < len(sessions):
        yield sessions[start:]


def _block_attention(
    model: SessionRNN, inputs: Tensor, query: Tensor, flags: Tensor, b: Tensor, t: Tensor
) -> tuple[Tensor, Tensor]:
    """Repeat log-attention and history rows (N, S) of N positions (session b, position t).

    The positions are in protocol order, so each session's are consecutive in time; each such
    run attends over its session's items up to its last position (S: the latest plus one).
    History slots after a position hold row 0 and attention LOG_ZERO.
    """
    span = int(t.max()) + 1
    attention = query.new_full((len(t), span), LOG_ZERO)
    history = inputs.new_zeros((len(t), span))
    sessions, counts = torch.unique_consecutive(b, return_counts=True)
    row = 0
    for session, count in zip(sessions.tolist(), counts.tolist(), strict=True):
        first = int(t[row])
        stop = first + count
        seen = inputs[session : session + 1, :stop]
        attention[row : row + count, :stop] = model.repeat_attention(
            query[session : session + 1, first:stop],
            seen,
            causal=True,
            flags=flags[session : session + 1, first:stop],
            first=first,
        )[0]
        history[row : row + count, :stop] = seen.expand(count, -1).tril(first)
        row += count
    return attention, history
