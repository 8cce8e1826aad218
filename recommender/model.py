"""The session RNN: item embedding W, recurrent cell U, tied output V, and a learned repeat head."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from recommender.config import ModelConfig

#: Longest distance (in tracks) the repeat head's recency bias distinguishes.
MAX_DISTANCE = 32
#: Stands in for log(0) where a true -inf would give NaN gradients.
LOG_ZERO = -1e9
#: Flags of the session so far that the repeat head reads (:func:`repeat_flags`).
N_FLAGS = 3
#: Starting weight (every dimension) of the neighbours' mean in a track's input vector.
NEIGHBOUR_GATE_START = 0.5


class SessionRNN(nn.Module):
    """h_t = cell(W x_t, h_(t-1)); p(next | h_t) mixes softmax(V h_t) with a copy of the session.

    The explore part is ``softmax(V q_t + b)`` over the items not yet heard in this session, with
    ``q_t = P [h_t; W x_t]`` (the last track's vector beside the state: a direct path for
    track-to-track transitions) and V tied to W. The repeat part (as in RepeatNet / NARM) attends
    over the items heard so far, reading :func:`repeat_flags` of the session, and a learned gate
    mixes the two distributions:  p = (1 - g_t) p_explore + g_t p_repeat. Both are trained jointly
    by cross-entropy; row 0 is padding / start and is never predicted.
    """

    def __init__(self, n_items: int, config: ModelConfig) -> None:
        """Build a model for ``n_items`` rows (row 0 included)."""
        super().__init__()
        self.config = config
        d, h = config.embedding_dim, config.hidden_dim
        # Sparse gradients: a batch touches a few thousand rows of 60k+, and a lazy (sparse) Adam
        # update of those rows is far cheaper than a dense update of the whole matrix.
        self.embedding = nn.Embedding(n_items, d, padding_idx=0, sparse=True)
        self.item_bias = nn.Parameter(torch.zeros(n_items))
        self.cell: nn.Module
        if config.cell == "gru":
            self.cell = nn.GRU(d, h, batch_first=True)
        elif config.cell == "lstm":
            self.cell = nn.LSTM(d, h, batch_first=True)
        else:
            self.cell = nn.RNN(d, h, nonlinearity="relu", batch_first=True)
        self.projection = nn.Linear(h + d, d)
        self.drop_embedding = nn.Dropout(config.dropout_embedding)
        self.drop_hidden = nn.Dropout(config.dropout_hidden)
        self.repeat_query = nn.Linear(d, d, bias=False)
        self.repeat_key = nn.Linear(d, d, bias=False)
        self.repeat_distance = nn.Parameter(torch.zeros(MAX_DISTANCE))
        self.repeat_gate = nn.Linear(h, 1)
        # Per flag: a push on the gate and a bias over distances for the attention.
        self.flag_gate = nn.Parameter(torch.zeros(N_FLAGS))
        self.flag_distance = nn.Parameter(torch.zeros(N_FLAGS, MAX_DISTANCE))
        # Each track's most frequent neighbours (recommender.neighbours) and their counts: data,
        # not weights (buffers: saved with the checkpoint, never trained); all zero until set.
        self.neighbour_gate: nn.Parameter | None = None
        self.neighbour_rows: Tensor
        self.neighbour_counts: Tensor
        if config.neighbours > 0:
            self.neighbour_gate = nn.Parameter(torch.full((d,), NEIGHBOUR_GATE_START))
            self.register_buffer("neighbour_rows", torch.zeros(n_items, config.neighbours).long())
            self.register_buffer("neighbour_counts", torch.zeros(n_items, config.neighbours))
        self._init_weights()

    def _init_weights(self) -> None:
        d = self.config.embedding_dim
        std = 1.0 / math.sqrt(d)
        with torch.no_grad():
            self.embedding.weight.normal_(0.0, std)
            self.embedding.weight[0].zero_()
            self.repeat_gate.bias.fill_(-2.0)

    @property
    def n_items(self) -> int:
        """Number of rows, counting row 0."""
        return int(self.embedding.num_embeddings)

    @property
    def state_size(self) -> int:
        """Length of the flat state vector (LSTM carries h and c)."""
        factor = 2 if self.config.cell == "lstm" else 1
        return factor * self.config.hidden_dim

    def output_weight(self) -> Tensor:
        """The output matrix V (rows x k): W itself (tied)."""
        return self.embedding.weight

    # --- item vectors --------------------------------------------------------------------------
    def set_neighbours(self, rows: Tensor, counts: Tensor) -> None:
        """Install a neighbour table (:mod:`recommender.neighbours`), (n_items, width) each."""
        if self.neighbour_gate is None:
            return
        self.neighbour_rows.copy_(rows)
        self.neighbour_counts.copy_(counts)

    def item_input(self, rows: Tensor) -> Tensor:
        """The vector a track enters the model as: (...) rows -> (..., k).

        Its row of W, plus (with ``neighbours``) a learned per-dimension share of its
        neighbours' rows averaged by how often each was heard beside it: a rarely heard track
        borrows from the well-trained tracks it was heard with.
        """
        own: Tensor = self.embedding(rows)
        if self.neighbour_gate is None:
            return own
        counts = self.neighbour_counts[rows]
        weights = counts / counts.sum(dim=-1, keepdim=True).clamp_min(1.0)
        near = F.embedding(self.neighbour_rows[rows], self.embedding.weight, sparse=True)
        mixed = (near * weights.unsqueeze(-1)).sum(dim=-2)
        return own + self.neighbour_gate * mixed

    # --- recurrence -------------------------------------------------------------------------
    def run(
        self, inputs: Tensor, state: Tensor | None = None, vectors: Tensor | None = None
    ) -> tuple[Tensor, Tensor]:
        """Run the cell over ``inputs`` (B, T) rows from ``state`` (B, state_size) or zeros.

        ``vectors`` is ``item_input(inputs)`` when the caller has it already (for ``query``).

        Returns:
            The outputs (B, T, hidden) and the final flat state (B, state_size). Padding at the
            end of a row does not affect the outputs before it (the cell is causal).
        """
        x = self.drop_embedding(self.item_input(inputs) if vectors is None else vectors)
        h = self.config.hidden_dim
        packed_state: Tensor | tuple[Tensor, Tensor] | None = None
        if state is not None:
            if self.config.cell == "lstm":
                packed_state = (
                    state[:, :h].unsqueeze(0).contiguous(),
                    state[:, h:].unsqueeze(0).contiguous(),
                )
            else:
                packed_state = state.unsqueeze(0).contiguous()
        out, final = self.cell(x, packed_state)
        if isinstance(final, tuple):
            flat = torch.cat([final[0][0], final[1][0]], dim=1)
        else:
            flat = final[0]
        return out, flat

    def query(
        self,
        outputs: Tensor,
        last_rows: Tensor,
        *,
        dropout: bool = True,
        vectors: Tensor | None = None,
    ) -> Tensor:
        """Project cell outputs (..., hidden) to the item space (..., k).

        Args:
            outputs: Cell outputs after each input.
            last_rows: The input row at each of those positions (same leading shape); its input
                vector joins the state before the projection.
            dropout: Apply the hidden dropout (in training mode only, as always).
            vectors: ``item_input(last_rows)``, if the caller has it already.
        """
        last = self.item_input(last_rows) if vectors is None else vectors
        features = torch.cat([outputs, last], dim=-1)
        if dropout:
            features = self.drop_hidden(features)
        projected: Tensor = self.projection(features)
        return projected

    def explore_logits(
        self, query: Tensor, rows: Tensor | None = None, offset: Tensor | None = None
    ) -> Tensor:
        """Logits V q + b over ``rows`` (all rows if ``None``); (N, k) -> (N, len(rows)).

        ``offset`` (len(rows),), if given, is subtracted from every row of logits inside the same
        fused call (training's log-Q correction), which saves a pass over the (N, K) result.
        """
        weight = self.output_weight()
        if rows is None:
            return torch.addmm(self.item_bias, query, weight.t())
        bias = self.item_bias[rows] if offset is None else self.item_bias[rows] - offset
        return torch.addmm(bias, query, self.output_rows(rows).t())

    def output_rows(self, rows: Tensor) -> Tensor:
        """Rows of V (gathered with a sparse gradient)."""
        return F.embedding(rows, self.output_weight(), sparse=True)

    def gate(self, outputs: Tensor, flags: Tensor) -> tuple[Tensor, Tensor]:
        """(log g, log(1 - g)) of the repeat gate for cell outputs (..., hidden).

        ``flags`` (..., N_FLAGS) are :func:`repeat_flags` at the same positions.
        """
        z = self.repeat_gate(outputs).squeeze(-1) + flags @ self.flag_gate
        return F.logsigmoid(z), F.logsigmoid(-z)

    def repeat_attention(
        self, query: Tensor, items: Tensor, causal: bool, flags: Tensor, first: int = 0
    ) -> Tensor:
        """Log attention of each query over the session's items.

        Args:
            query: (B, T, k) queries, one per position.
            items: (B, S) row indices heard so far (0 = padding).
            causal: Query t sits at position ``first + t`` and attends to items[:, : first + t + 1]
                only (requires S == first + T); otherwise every position attends to all of
                ``items`` (T == 1 in practice).
            flags: (B, T, N_FLAGS) :func:`repeat_flags` at each query's position (the same
                the gate reads; after the last item when not causal).
            first: Position of the first query when causal: scoring takes a long session's
                positions a block at a time, so the scores stay (B, block, S), never (B, S, S).

        Returns:
            (B, T, S) log-probabilities over positions s (LOG_ZERO where masked).
        """
        keys = self.repeat_key(self.embedding(items))
        q = self.repeat_query(query)
        scores = torch.bmm(q, keys.transpose(1, 2)) / math.sqrt(self.config.embedding_dim)
        t_len, s_len = q.shape[1], keys.shape[1]
        if causal:
            t_pos = torch.arange(first, first + t_len, device=q.device).unsqueeze(1)
        else:
            t_pos = torch.full((t_len, 1), s_len - 1, device=q.device)
        s_pos = torch.arange(s_len, device=q.device).unsqueeze(0)
        distance = (t_pos - s_pos).clamp(0, MAX_DISTANCE - 1)
        scores = scores + self.repeat_distance[distance]
        by_distance = flags @ self.flag_distance  # (B, T, MAX_DISTANCE)
        scores = scores + by_distance.gather(2, distance.expand(len(items), -1, -1))
        mask = (s_pos > t_pos).unsqueeze(0) | (items == 0).unsqueeze(1)
        scores = scores.masked_fill(mask, LOG_ZERO)
        return torch.log_softmax(scores, dim=-1)

    # --- full scores --------------------------------------------------------------------------
    def full_log_scores(
        self,
        outputs: Tensor,
        query: Tensor,
        log_attention: Tensor | None,
        history: Tensor | None,
        flags: Tensor,
        normalized: bool = True,
        logits: Tensor | None = None,
    ) -> Tensor:
        """log p(item) over all rows for N positions.

        Args:
            outputs: (N, hidden) cell outputs.
            query: (N, k) projected queries.
            log_attention: (N, S) repeat log-attention over ``history`` (or ``None``).
            history: (N, S) row indices heard so far at each position, which the attention
                refers to (0 = none; or ``None``).
            flags: (N, N_FLAGS) :func:`repeat_flags` at each position.
            normalized: If false, skip the final per-row shift: each row then differs from
                log p by a constant, which keeps every ranking and saves a full pass.
            logits: (N, rows) explore logits ``V q + b`` when the caller has them (radio reads
                V as int8 codes); overwritten in place.

        Returns:
            (N, rows) log-probabilities (or shifted, see ``normalized``); row 0 is -inf.
        """
        log_g, log_not_g = self.gate(outputs, flags)
        scores = self.explore_logits(query) if logits is None else logits
        if history is not None:
            scores.scatter_(1, history, LOG_ZERO)  # explore proposes new tracks only
            # Row 0 (padding) too, as training does: otherwise whether it counted in the
            # partition would depend on whether this row's history had a padding slot.
            scores[:, 0] = LOG_ZERO
        shift = torch.logsumexp(scores, dim=1) - log_not_g  # log p = logits - shift
        if log_attention is not None and history is not None:
            mix_repeat(scores, log_g + shift, log_attention, history)
        if normalized:
            scores -= shift.unsqueeze(1)
        scores[:, 0] = -math.inf
        return scores

    # --- growth -----------------------------------------------------------------------------
    @torch.no_grad()
    def grow(self, new_size: int) -> None:
        """Grow to ``new_size`` rows, keeping the old rows exactly.

        New embedding rows are small random vectors (a tenth of the old rows' spread) so they
        start neutral; new biases start at the 25th percentile of the old ones, i.e. like a rarely
        heard track. The relative order of old items' scores is unchanged.
        """
        old = self.n_items
        if new_size <= old:
            return
        extra = new_size - old
        spread = float(self.embedding.weight[1:].std()) if old > 2 else 0.1
        spread = spread if math.isfinite(spread) and spread > 0 else 0.1
        self.embedding = _grown(self.embedding, extra, spread * 0.1)
        base = self.item_bias[1:]
        fill = float(torch.quantile(base, 0.25)) if base.numel() else 0.0
        new_bias = torch.cat([self.item_bias.detach(), self.item_bias.new_full((extra,), fill)])
        self.item_bias = nn.Parameter(new_bias)
        if self.neighbour_gate is not None:  # new tracks have no neighbours until they are heard
            width = self.config.neighbours
            self.neighbour_rows = torch.cat(
                [self.neighbour_rows, self.neighbour_rows.new_zeros(extra, width)]
            )
            self.neighbour_counts = torch.cat(
                [self.neighbour_counts, self.neighbour_counts.new_zeros(extra, width)]
            )


def repeat_flags(items: Tensor) -> Tensor:
    """(B, T, N_FLAGS) flags of each session prefix ``items[:, : t + 1]`` (float 0 / 1).

    The flags: the item at t is the one at t - 1 again; it was heard before t - 1; some item up
    to t was a repeat. A GRU hardly learns to test two inputs for equality, and these say a lot:
    in the nowplaying train file the next track is the same one again half of the time after a
    same-again (1.1% when nothing was repeated yet), and an earlier one 15% of the time once a
    session has repeated (1.3% before). Padding (row 0) never counts.

    "Heard before t - 1" is "first heard at t - 2 or earlier": the first occurrences come from a
    stable sort of each row, so memory stays linear in T (a radio session runs to thousands).
    """
    t_len = items.shape[1]
    position = torch.arange(t_len, device=items.device).expand_as(items)
    ordered, order = torch.sort(items, dim=1, stable=True)
    starts = torch.ones_like(ordered, dtype=torch.bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    # within each run of equal items (sorted by position), the run's first index in the sort
    run_start = torch.where(starts, position, 0).cummax(dim=1).values
    first = torch.empty_like(items).scatter_(1, order, order.gather(1, run_start))
    heard = items > 0
    again = torch.zeros_like(heard)
    again[:, 1:] = (items[:, 1:] == items[:, :-1]) & heard[:, 1:]
    older = (first <= position - 2) & heard
    so_far = (again | older).cumsum(dim=1) > 0
    return torch.stack([again, older, so_far], dim=-1).float()


def mix_repeat(scores: Tensor, log_g: Tensor, log_attention: Tensor, history: Tensor) -> Tensor:
    """Add the repeat mass to the few items of each row's history, in place (log space).

    An item heard several times gets the attention of all its slots: each row's slots are sorted
    by item and the attention summed per run of equal items by a scatter, in (N, S) memory
    (comparing every slot with every other took (N, S, S); a scatter onto every column, a
    second (N, rows) matrix).

    Args:
        scores: (N, rows) log((1 - g) p_explore).
        log_g: (N,) log of the repeat gate.
        log_attention: (N, S) log attention over the history slots.
        history: (N, S) row index of each slot (0 = padding).

    Returns:
        ``scores`` with log((1 - g) p_explore + g p_repeat) at the history items.
    """
    items, order = history.sort(dim=1)
    run = torch.zeros_like(items)
    run[:, 1:] = (items[:, 1:] != items[:, :-1]).cumsum(dim=1)  # run index of each sorted slot
    attention = log_attention.gather(1, order).exp()
    mass = torch.zeros_like(attention).scatter_add_(1, run, attention).gather(1, run)
    mixed = torch.logaddexp(scores.gather(1, items), log_g.unsqueeze(1) + mass.log())
    return scores.scatter_(1, items, mixed)


def _grown(embedding: nn.Embedding, extra: int, std: float) -> nn.Embedding:
    old = embedding.weight.detach()
    rows = old.new_empty((extra, old.shape[1])).normal_(0.0, std)
    grown = nn.Embedding(old.shape[0] + extra, old.shape[1], padding_idx=0, sparse=True)
    grown.weight.data = torch.cat([old, rows])
    return grown
