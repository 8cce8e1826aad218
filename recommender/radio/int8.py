"""Radio's int8 copy of V: the pass over every track, at a quarter of float32's bytes.

A radio pick scores every track once (``V q``, 100,000 x 128 at most) and that pass is bound by
memory bandwidth, so radio reads V as per-row int8 codes through torch's int8 kernel
(``torch._weight_int8pack_mm``, which rounds the query and the product to bfloat16; float16
where a torch lacks it). The approximation is measured in
``bench/inference.py --accuracy`` and held by ``tests/recommender/test_radio_scoring.py``:
total-variation distance to the exact float32 distribution stays far below what listening
could notice. Evaluation never uses it.
"""

from __future__ import annotations

import logging
from collections.abc import Collection

import numpy as np
import torch
from torch import Tensor

from recommender.vocab import Vocabulary

log = logging.getLogger(__name__)


class QuantizedOutput:
    """V as per-row int8 codes with a bfloat16 scale per row (scores = codes @ q * scale).

    Each row's scale is first rounded to bfloat16 (upwards, so no code overflows) and the codes
    are computed against that rounded scale, so the only error left is the rounding of each code
    (at most half a step, a 254th of the row's largest weight).

    Args:
        weight: V, (rows x k) float32.
    """

    def __init__(self, weight: Tensor) -> None:
        weight = weight.detach().float()
        peak = weight.abs().amax(dim=1).clamp_min(1e-12) / 127.0
        scale = (peak * (1.0 + 2.0**-7)).to(torch.bfloat16)
        codes = torch.round(weight / scale.float().unsqueeze(1)).clamp_(-127, 127)
        self.codes = codes.to(torch.int8).contiguous()
        self.scales = scale.contiguous()
        self._half: Tensor | None = None
        try:
            torch._weight_int8pack_mm(
                torch.zeros((1, weight.shape[1]), dtype=torch.bfloat16), self.codes[:2], scale[:2]
            )
        except (AttributeError, RuntimeError) as exc:  # an older torch or another platform
            log.info("int8 scoring unavailable (%s); radio scores with float16", exc)
            self._half = weight.half()

    def logits(self, query: Tensor, bias: Tensor) -> Tensor:
        """Approximate ``V @ query + bias`` for a (k,) query, as float32 (rows,)."""
        if self._half is not None:
            return torch.add(bias, torch.mv(self._half, query.half()))
        product = torch._weight_int8pack_mm(
            query.to(torch.bfloat16).unsqueeze(0), self.codes, self.scales
        )
        return torch.add(bias, product[0])  # one pass: bfloat16 + float32 gives float32


class RadioCache:
    """What radio keeps between picks: int8 copies of V and a long-lived exclusion's rows.

    Two copies are kept: the live model's, and the one a newly trained model gets before it is
    swapped in (so preparing it never costs the live model its copy).
    """

    def __init__(self) -> None:
        self._outputs: dict[tuple[int, int, int], QuantizedOutput] = {}
        self._rows: tuple[Collection[int], Vocabulary, int, Tensor] | None = None
        self._library: tuple[Vocabulary, int, np.ndarray, np.ndarray] | None = None

    def output(self, weight: Tensor) -> QuantizedOutput:
        """The int8 copy of ``weight``, rebuilt when it changed (training steps, growth)."""
        key = (weight.data_ptr(), weight.shape[0], weight._version)
        found = self._outputs.get(key)
        if found is None:  # the newest copy before this one stays; older ones go
            found = QuantizedOutput(weight)
            self._outputs = {**dict(list(self._outputs.items())[-1:]), key: found}
        return found

    def rows(self, vocab: Vocabulary, ids: Collection[int]) -> Tensor | None:
        """Row indices of ``ids``, looked up again for another set object, another vocabulary
        (a retrained model's, even of the same size and another order) or a grown one."""
        if not ids:
            return None
        cached = self._rows
        if (
            cached is None
            or cached[0] is not ids
            or cached[1] is not vocab
            or cached[2] != len(vocab)
        ):
            rows = torch.tensor(vocab.indices(ids), dtype=torch.long)
            self._rows = cached = (ids, vocab, len(vocab), rows)
        return cached[3]

    def library_rows(self, vocab: Vocabulary, track_ids: np.ndarray) -> np.ndarray:
        """The model row of each library track (``-1``: unknown to the model), in library
        order; looked up again only for another or a grown vocabulary, or another library."""
        cached = self._library
        if (
            cached is None
            or cached[0] is not vocab
            or cached[1] != len(vocab)
            or cached[2] is not track_ids
        ):
            get = vocab.index
            rows = np.fromiter((get(int(t)) or -1 for t in track_ids), np.int64, len(track_ids))
            self._library = cached = (vocab, len(vocab), track_ids, rows)
        return cached[3]
