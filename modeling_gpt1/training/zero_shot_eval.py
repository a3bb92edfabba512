"""Zero-shot evaluation of a task shared out across Accelerate's processes, scored by the task's official metric."""

import time

from accelerate import Accelerator
from accelerate.utils import gather_object

from ..metrics import load_task_metric
from ..zero_shot import PromptBuilder, evaluate_task

# the counts beside a task's metrics in `evaluate_zero_shot`'s results
COUNTS = ("eval_samples", "eval_mean_shots", "eval_truncated", "eval_fewer_shots", "eval_runtime")


def evaluate_zero_shot(
    accelerator: Accelerator, model, prompts: PromptBuilder, examples, batch_size: int = 8
) -> tuple[dict, list[dict]]:
    """The task's metrics (`eval_<metric>`, with the counts of shots, cut and short prompts) and the rows of
    predictions, each process scoring its share of `examples` with the same CoLA threshold."""
    started = time.perf_counter()
    # every process finds a prompt that cannot be scored before any process scores (tokenization, which `prompts`
    # keeps for the scoring)
    prompts.requests(examples)
    with accelerator.split_between_processes(list(examples)) as mine:
        evaluation = evaluate_task(model, prompts, mine, batch_size) if mine else None
        rows = []
        if evaluation is not None:
            for example, prediction, scores, shots in zip(
                mine, evaluation.predictions, evaluation.scores, evaluation.shots, strict=True
            ):
                rows.append(
                    {"id": example["id"], "prediction": prediction, "label": example["label"], "scores": scores,
                     "shots": shots}
                )  # fmt: skip
        counts = [(evaluation.truncated, evaluation.fewer_shots, evaluation.threshold) if evaluation else (0, 0, None)]
    rows, counts = gather_object(rows), gather_object(counts)
    metric = load_task_metric(prompts.task)
    scores = metric.compute(predictions=[r["prediction"] for r in rows], references=[r["label"] for r in rows])
    results = {
        "task": prompts.task,
        "heuristic": prompts.heuristic,
        "num_fewshot": prompts.num_fewshot,
        **{f"eval_{name}": value for name, value in scores.items()},
        "eval_samples": len(rows),
        "eval_mean_shots": sum(r["shots"] for r in rows) / len(rows),
        "eval_truncated": sum(truncated for truncated, _, _ in counts),
        "eval_fewer_shots": sum(fewer for _, fewer, _ in counts),
        "eval_runtime": round(time.perf_counter() - started, 2),
    }
    thresholds = {threshold for _, _, threshold in counts if threshold is not None}
    if thresholds:
        results["threshold"] = thresholds.pop()
    return results, rows
