"""The task metrics of modeling_gpt1.metrics: scikit-learn's and scipy's values, offline loading, bad input."""

import os

import numpy as np
import pytest
import torch
from remote_code import run_fresh_python
from scipy.stats import pearsonr, spearmanr
from sklearn.metrics import accuracy_score, f1_score, matthews_corrcoef

from modeling_gpt1.metrics import load_task_metric

# task -> number of classes or answers; None for STS-B's float scores
TASKS = {
    "cola": 2,
    "sst2": 2,
    "mrpc": 2,
    "stsb": None,
    "qqp": 2,
    "mnli": 3,
    "mnli_mismatched": 3,
    "qnli": 2,
    "rte": 2,
    "wnli": 2,
    "snli": 3,
    "scitail": 2,
    "story_cloze": 2,
    "race": 4,
}
# (number of examples, share of the most frequent class or, for STS-B, scores bunched near 0)
SIZES = [(10, None), (100, 0.9), (1000, None), (1000, 0.95)]


def random_examples(task, size, imbalance, seed=0):
    """Predictions that agree with the references more often than chance, as numpy arrays."""
    rng = np.random.default_rng([seed, size, list(TASKS).index(task)])
    num_classes = TASKS[task]
    if num_classes is None:
        # STS-B's gold scores are averages of 0-5 ratings: many ties, which spearmanr must rank
        scores = rng.beta(0.5, 3.0, size) if imbalance else rng.uniform(0.0, 1.0, size)
        references = np.round(5.0 * scores / 0.2) * 0.2
        return references + rng.normal(0.0, 1.0, size), references
    if imbalance is None:
        probabilities = np.full(num_classes, 1.0 / num_classes)
    else:
        # the rare classes include 1, the positive class of F1
        probabilities = np.full(num_classes, (1.0 - imbalance) / (num_classes - 1))
        probabilities[0] = imbalance
    references = rng.choice(num_classes, size, p=probabilities)
    predictions = np.where(rng.random(size) < 0.3, rng.integers(0, num_classes, size), references)
    return predictions, references


def expected_metrics(task, predictions, references):
    """Each task's official metrics, computed here with scikit-learn and scipy."""
    if task == "cola":
        return {"matthews_correlation": matthews_corrcoef(references, predictions)}
    if task == "stsb":
        return {"pearson": pearsonr(references, predictions)[0], "spearmanr": spearmanr(references, predictions)[0]}
    expected = {"accuracy": accuracy_score(references, predictions)}
    if task in ("mrpc", "qqp"):
        expected["f1"] = f1_score(references, predictions, pos_label=1)
    return expected


@pytest.mark.parametrize("size,imbalance", SIZES)
@pytest.mark.parametrize("task", TASKS)
def test_values_equal_scikit_learn_and_scipy(task, size, imbalance):
    predictions, references = random_examples(task, size, imbalance)
    results = load_task_metric(task).compute(predictions=predictions.tolist(), references=references.tolist())
    expected = expected_metrics(task, predictions, references)
    assert list(results) == list(expected)
    for name, value in results.items():
        assert type(value) is float
        assert abs(value - expected[name]) <= 1e-12, name
        if name in ("accuracy", "f1"):
            assert 0.0 <= value <= 1.0


@pytest.mark.parametrize("task", TASKS)
def test_batches_add_up_to_one_compute(task):
    predictions, references = random_examples(task, 1000, 0.9)
    metric = load_task_metric(task)
    # uneven batches, one of them empty, as the last batch of a process can be
    for batch in np.split(np.arange(1000), [3, 3, 250, 700]):
        metric.add_batch(predictions=predictions[batch].tolist(), references=references[batch].tolist())
    whole = load_task_metric(task).compute(predictions=predictions.tolist(), references=references.tolist())
    assert metric.compute() == whole


@pytest.mark.parametrize("task", ["mrpc", "stsb", "race"])
def test_tensors_and_arrays_score_as_lists(task):
    predictions, references = random_examples(task, 100, None)
    as_lists = load_task_metric(task).compute(predictions=predictions.tolist(), references=references.tolist())
    assert load_task_metric(task).compute(predictions=torch.from_numpy(predictions), references=references) == as_lists


def test_file_cache_gives_the_same_values(tmp_path):
    predictions, references = random_examples("mrpc", 100, 0.9)
    in_memory = load_task_metric("mrpc").compute(predictions=predictions, references=references)
    on_disk = load_task_metric("mrpc", keep_in_memory=False, cache_dir=str(tmp_path))
    assert on_disk.compute(predictions=predictions, references=references) == in_memory


OFFLINE_PROBE = """
import json, socket, sys

attempts = []


def refuse(*args, **kwargs):
    attempts.append(repr(args)[:200])
    raise OSError("network refused by the test")


socket.socket.connect = socket.socket.connect_ex = refuse
socket.getaddrinfo = socket.create_connection = refuse
from modeling_gpt1.metrics import load_task_metric

results = {
    task: load_task_metric(task).compute(predictions=[0, 1, 1, 0], references=[0, 1, 0, 0])
    for task in ("rte", "mrpc", "cola")
}
print(json.dumps({"attempts": attempts, "results": results}))
"""


@pytest.mark.parametrize("offline_flags", [True, False], ids=["offline_flags", "network_refused_only"])
def test_loads_with_the_hub_unreachable(tmp_path, offline_flags):
    """In a fresh process and empty caches, with every connection refused and counted: none is attempted."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(HF_HOME=str(tmp_path / "hf"), HF_MODULES_CACHE=str(tmp_path / "modules"))
    if offline_flags:
        env.update(HF_HUB_OFFLINE="1", HF_EVALUATE_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    report = run_fresh_python(OFFLINE_PROBE, workdir=tmp_path, env=env)
    assert report["attempts"] == []
    assert report["results"] == {
        "rte": {"accuracy": 0.75},
        "mrpc": {"accuracy": 0.75, "f1": 2 / 3},
        "cola": {"matthews_correlation": 1 / 3**0.5},
    }
    # the module came from the project's file, copied into the fresh cache
    assert list((tmp_path / "modules").rglob("gpt1_tasks.py"))


def test_unknown_task_is_refused_with_the_known_names():
    with pytest.raises(ValueError, match="Unknown task 'glue'") as error:
        load_task_metric("glue")
    for task in TASKS:
        assert task in str(error.value)


def test_mismatched_lengths_are_refused():
    with pytest.raises(ValueError, match=r"Mismatch in the number of predictions \(3\) and references \(2\)"):
        load_task_metric("rte").compute(predictions=[0, 1, 1], references=[0, 1])
    with pytest.raises(ValueError, match=r"Mismatch in the number of predictions \(1\) and references \(2\)"):
        load_task_metric("stsb").add_batch(predictions=[0.5], references=[0.5, 1.0])


def test_no_predictions_are_refused():
    with pytest.raises(ValueError, match="No predictions to score for rte"):
        load_task_metric("rte").compute(predictions=[], references=[])
    with pytest.raises(ValueError, match="No predictions to score for mrpc"):
        load_task_metric("mrpc").compute()


@pytest.mark.parametrize(
    "task,predictions,references,message",
    [
        ("rte", [0, 2], [0, 1], r"predictions of rte must lie in 0\.\.1; found \[2\]"),
        ("snli", [0, 1], [-1, 2], r"references of snli must lie in 0\.\.2; found \[-1\]"),
        ("race", [0, 4], [3, 3], r"predictions of race must lie in 0\.\.3; found \[4\]"),
    ],
)
def test_labels_outside_the_task_are_refused(task, predictions, references, message):
    with pytest.raises(ValueError, match=message):
        load_task_metric(task).compute(predictions=predictions, references=references)
