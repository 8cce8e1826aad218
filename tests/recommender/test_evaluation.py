"""The evaluation protocol, the baselines behind the shared interface, and the evaluate CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from recommender.baselines import MarkovScorer, PopularityScorer, SessionKNNScorer
from recommender.cli import main
from recommender.evaluation import evaluate
from recommender.sessions import TrainingSession

TRAIN = [TrainingSession(s) for s in [(1, 2, 3), (1, 2, 4), (2, 3, 5), (5, 1, 2), (4, 4, 1)]]


def test_popularity_ranks_by_count_with_ties_against() -> None:
    scorer = PopularityScorer(TRAIN)
    # counts: 1:4, 2:4, 3:2, 4:3, 5:2 -> target 2 ties with 1 -> rank 2
    metrics = evaluate(scorer, [(3, 2)])
    assert metrics.positions == 1
    assert metrics.mrr(20) == pytest.approx(1 / 2)


def test_markov_uses_the_last_item_then_popularity() -> None:
    scorer = MarkovScorer(TRAIN)
    scores = scorer.session_scores([(1, 2)])[0]
    row = scorer.vocab.index
    # 1 -> 2 three times; 1 -> nothing else; ties among the rest broken by popularity
    assert int(torch.argmax(scores)) == row(2)
    assert scores[row(4)] > scores[row(3)]  # popularity 3 > 2
    assert evaluate(scorer, [(1, 2)]).mrr(20) == 1.0


def test_sknn_votes_for_items_of_similar_sessions() -> None:
    scorer = SessionKNNScorer(TRAIN, k=2, sample_size=10)
    scores = scorer.session_scores([(1, 2, 0)])
    assert scores.shape == (2, len(scorer.vocab))
    assert scores[1, scorer.vocab.index(3)] > scores[1, scorer.vocab.index(5)]


def test_every_prefix_is_evaluated_and_predictions_written(tmp_path: Path) -> None:
    out = tmp_path / "pred.txt"
    with out.open("w", encoding="utf-8") as handle:
        metrics = evaluate(MarkovScorer(TRAIN), [(1, 2, 3), (2, 3), (7,)], predictions=handle)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert metrics.positions == 3 == len(lines)
    assert lines[0].split()[0] == "2"  # after (1,) Markov's best is 2
    assert len(lines[0].split()) == 5  # every training item, fewer than 20


def test_unknown_target_is_a_miss() -> None:
    metrics = evaluate(PopularityScorer(TRAIN), [(1, 99)])
    assert metrics.positions == 1 and metrics.hr(20) == 0.0


@pytest.mark.parametrize("model", ["gru", "pop", "markov", "sknn"])
def test_evaluate_cli_txt_and_tsv(
    tmp_path: Path, model: str, capsys: pytest.CaptureFixture[str]
) -> None:
    train = tmp_path / "train.txt"
    train.write_text(
        "\n".join(" ".join(map(str, s.items)) for s in TRAIN * 4) + "\n", encoding="utf-8"
    )
    test = tmp_path / "test.tsv"
    test.write_text(
        "SessionId\tItemId\tTime\n1\t1\t0\n1\t2\t1\n1\t3\t2\n2\t5\t3\n2\t1\t4\n", encoding="utf-8"
    )
    pred = tmp_path / "pred.txt"
    args = [
        "evaluate",
        "--train",
        str(train),
        "--test",
        str(test),
        "--model",
        model,
        "--json",
        "--predictions",
        str(pred),
        "--threads",
        "1",
    ]
    if model == "gru":
        args += ["--epochs", "2"]
    assert main(args) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["positions"] == 3
    assert {"HR@20", "MRR@20", "HR@10", "MRR@10", "train_seconds", "eval_seconds"} <= set(figures)
    assert len(pred.read_text(encoding="utf-8").splitlines()) == 3


def test_evaluate_cli_reports_a_malformed_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    train = tmp_path / "train.txt"
    train.write_text("1 2\n1 oops\n", encoding="utf-8")
    assert main(["evaluate", "--train", str(train), "--test", str(train)]) == 2
    assert "train.txt:2" in capsys.readouterr().err
