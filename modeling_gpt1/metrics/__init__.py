"""The official metric of each fine-tuning task, loaded offline from the `evaluate` module shipped in `gpt1_tasks/`."""

from pathlib import Path

import evaluate

METRIC_PATH = Path(__file__).parent / "gpt1_tasks"


def load_task_metric(task, **kwargs):
    """The `evaluate` metric of `task` (a config name of the module: cola, sst2, ..., story_cloze, race).

    Predictions and references stay in memory unless `keep_in_memory=False` is passed: the scripts gather them
    across processes with accelerate and score them in one process, so evaluate's cache files and locks serve nothing.
    Other keyword arguments go to `evaluate.load`.
    """
    kwargs.setdefault("keep_in_memory", True)
    return evaluate.load(str(METRIC_PATH), task, **kwargs)
