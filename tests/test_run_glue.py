"""examples/run_glue.py end to end on the real GLUE files of ../shared/data (RTE, MRPC, STS-B, CoLA), started from a
tiny plain GPT-1 LM: its outputs, its metrics against scikit-learn / scipy on its own predictions, one process
against two, exact resume after a SIGKILL, and each bad input's one-line message with the output folder untouched.

Runs are small (32 training rows, 4 updates an epoch, sequences cut to 64 tokens) and each is shared by the tests
that read it."""

import signal

import pytest
import torch
from finetuning_runs import (
    assert_clean_error,
    event_files,
    predictions,
    results,
    run,
    run_killed_after_first_epoch,
    run_ok,
    save_plain_lm,
    snapshot,
    train_losses,
    weights,
    write_earlier_outputs,
)
from scipy.stats import pearsonr, spearmanr
from shared_data import GLUE, require
from sklearn.metrics import accuracy_score, f1_score, matthews_corrcoef
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from modeling_gpt1 import GPT1ForSequenceClassification, GPT1Tokenizer
from modeling_gpt1.data.tasks import get_task, load_glue

SCRIPT = "run_glue.py"
# task -> (its folder in ../shared/data/glue, its metrics)
REAL_TASKS = {
    "rte": ("RTE", ("accuracy",)),
    "mrpc": ("MRPC", ("accuracy", "f1")),
    "stsb": ("STS-B", ("pearson", "spearmanr")),
    "cola": ("CoLA", ("matthews_correlation",)),
}
# the paper's recipe on little data; with seed 0 the classifier starts where no task's predictions are all one
# class, and 4 updates an epoch at the paper's rate keep them so
SMALL_RUN = ["--max_train_samples", 32, "--max_seq_length", 64, "--seed", 0]
# RTE's reference run: 2 epochs for the resume test, an odd number of evaluated rows for the processes to split
RTE_RUN = ["--num_train_epochs", 2, "--max_eval_samples", 37]
OTHER_RUN = ["--num_train_epochs", 1, "--max_eval_samples", 40]
# the three tokens GPT-1 adds for fine-tuning
ADDED_TOKENS_MESSAGE = "no fine-tuning tokens: adding 3 rows"


@pytest.fixture(scope="module")
def plain_lm(tmp_path_factory):
    return save_plain_lm(tmp_path_factory.mktemp("plain_lm"))


def task_args(task, plain_lm, output_dir, batch_size=8):
    """The arguments of a small run of `task` on its real files."""
    folder = require(GLUE / REAL_TASKS[task][0])
    extra = RTE_RUN if task == "rte" else OTHER_RUN
    args = ["--model_name_or_path", plain_lm, "--task_name", task, "--data_dir", folder, "--output_dir", output_dir]
    return [*args, *SMALL_RUN, *extra, "--per_device_train_batch_size", batch_size]


@pytest.fixture(scope="module")
def finished(plain_lm, tmp_path_factory):
    """`finished(task)`: the output folder and log of the task's one-process run, run once for the module."""
    runs = {}

    def get(task):
        if task not in runs:
            output_dir = tmp_path_factory.mktemp(task)
            runs[task] = output_dir, run_ok(SCRIPT, task_args(task, plain_lm, output_dir))
        return runs[task]

    return get


def gold_rows(task, count):
    """The ids and labels of the first `count` rows of the task's real dev file, as `load_glue` reads them."""
    rows = load_glue(task, GLUE / REAL_TASKS[task][0])["validation"][:count]
    return rows["id"], rows["label"]


@pytest.mark.parametrize("task", REAL_TASKS)
def test_outputs(task, finished):
    output_dir, log = finished(task)
    metrics = REAL_TASKS[task][1]
    assert set(results(output_dir)) == {"train_steps", *(f"eval_{metric}" for metric in metrics)}
    assert ADDED_TOKENS_MESSAGE in log
    if task == "rte":
        # many of RTE's pairs are longer than 64 tokens: they are cut, counted, and reported
        assert "validation: " in log and "of 37 examples were longer than 64 tokens" in log

    rows = predictions(output_dir)
    ids, labels = gold_rows(task, len(rows))
    assert len(rows) == (37 if task == "rte" else 40)
    assert [row["id"] for row in rows] == ids
    assert [row["label"] for row in rows] == labels
    kind = float if task == "stsb" else int
    assert all(isinstance(row["prediction"], kind) for row in rows)
    assert event_files(output_dir / "runs")

    # GLUE's unlabelled test file gets predictions, for a submission, and no metrics
    tests = predictions(output_dir, "test")
    test_split = load_glue(task, GLUE / REAL_TASKS[task][0])["test"]
    assert [row["id"] for row in tests] == test_split["id"][: len(tests)]
    assert len(tests) == min(len(test_split), 37 if task == "rte" else 40)
    assert {row["label"] for row in tests} == {-1} and all(isinstance(row["prediction"], kind) for row in tests)


@pytest.mark.parametrize("task", REAL_TASKS)
def test_saved_model_loads_through_the_auto_classes_and_predicts_the_same(task, finished):
    output_dir, _ = finished(task)
    tokenizer = AutoTokenizer.from_pretrained(output_dir)
    model = AutoModelForSequenceClassification.from_pretrained(output_dir).eval()
    assert isinstance(tokenizer, GPT1Tokenizer) and isinstance(model, GPT1ForSequenceClassification)
    assert model.config.vocab_size == len(tokenizer) == tokenizer.vocab_size + 3
    assert model.config.extract_token_id == tokenizer.cls_token_id
    saved = weights(output_dir / "model.safetensors")
    assert all(torch.equal(model.state_dict()[name], tensor) for name, tensor in saved.items())

    rows = predictions(output_dir)[:8]
    validation = load_glue(task, GLUE / REAL_TASKS[task][0])["validation"][: len(rows)]
    task_format = get_task(task).format
    text_pair = validation.get("text_pair")
    encoded = tokenizer.encode_task(task_format, validation["text"], text_pair, max_length=64, return_tensors="pt")
    inputs = {name: encoded[name] for name in ("input_ids", "attention_mask", "mc_token_ids")}
    with torch.no_grad():
        mc_logits = model(**inputs).mc_logits
    if task == "stsb":
        assert mc_logits[:, 0].tolist() == pytest.approx([row["prediction"] for row in rows], abs=1e-5)
    else:
        assert mc_logits.argmax(-1).tolist() == [row["prediction"] for row in rows]


def recompute(task, rows) -> dict:
    """The task's metrics from its saved predictions, with scikit-learn and scipy."""
    gold = [row["label"] for row in rows]
    predicted = [row["prediction"] for row in rows]
    if task == "stsb":
        return {"eval_pearson": pearsonr(gold, predicted)[0], "eval_spearmanr": spearmanr(gold, predicted)[0]}
    if task == "cola":
        return {"eval_matthews_correlation": matthews_corrcoef(gold, predicted)}
    recomputed = {"eval_accuracy": accuracy_score(gold, predicted)}
    if task == "mrpc":
        recomputed["eval_f1"] = f1_score(gold, predicted)
    return recomputed


@pytest.mark.parametrize("task", REAL_TASKS)
def test_metrics_equal_a_recomputation_from_the_predictions(task, finished):
    output_dir, _ = finished(task)
    rows = predictions(output_dir)
    # the predictions vary, so the metrics say something
    assert len({row["prediction"] for row in rows}) > 1
    reported = {name: value for name, value in results(output_dir).items() if name != "train_steps"}
    assert reported == pytest.approx(recompute(task, rows), rel=1e-12, abs=1e-12)


def test_two_processes_match_one(finished, plain_lm, tmp_path):
    """Two CPU processes of 4 rows each against one process of 8: the same batches, so the same training."""
    one, _ = finished("rte")
    run_ok(SCRIPT, task_args("rte", plain_lm, tmp_path, batch_size=4), processes=2)
    assert results(tmp_path) == pytest.approx(results(one), abs=1e-6)
    # 37 rows in 2 processes: the row repeated to even out the last batches is dropped
    assert predictions(tmp_path) == predictions(one)
    losses_one, losses_two = train_losses(one), train_losses(tmp_path)
    assert [step for step, _ in losses_two] == [step for step, _ in losses_one] == list(range(1, 9))
    # losses near 6 are float32, 4.8e-7 apart there: 1e-6 of the loss allows a few roundings, no more
    for (step, loss_one), (_, loss_two) in zip(losses_one, losses_two, strict=True):
        assert loss_two == pytest.approx(loss_one, rel=1e-6), f"step {step}"
    largest = max(abs(one - two) for (_, one), (_, two) in zip(losses_one, losses_two, strict=True))
    print(f"1 vs 2 processes: {results(one)} and {results(tmp_path)}, largest |loss difference| {largest:.1e}")  # -s


def test_without_the_auxiliary_loss_the_loss_is_the_task_loss(plain_lm, tmp_path):
    args = task_args("rte", plain_lm, tmp_path)
    run_ok(SCRIPT, [*args, "--num_train_epochs", 1, "--lm_coef", 0])
    assert "eval_accuracy" in results(tmp_path)
    logged = {tag: train_losses(tmp_path, tag) for tag in ("train_loss", "train_mc_loss")}
    assert logged["train_loss"] == logged["train_mc_loss"] and len(logged["train_loss"]) == 4


def test_gradient_accumulation_matches_one_batch(finished, plain_lm, tmp_path):
    """Two accumulated batches of 4 against one batch of 8: the same updates, and the logged loss of an update
    is the mean over its batches."""
    one, _ = finished("rte")
    run_ok(SCRIPT, [*task_args("rte", plain_lm, tmp_path, batch_size=4), "--gradient_accumulation_steps", 2])
    assert results(tmp_path) == pytest.approx(results(one), abs=1e-6)
    losses_one, losses_two = train_losses(one), train_losses(tmp_path)
    assert [step for step, _ in losses_two] == [step for step, _ in losses_one]
    for (step, loss_one), (_, loss_two) in zip(losses_one, losses_two, strict=True):
        assert loss_two == pytest.approx(loss_one, rel=1e-6), f"step {step}"


def test_resume_after_sigkill_is_exact(finished, plain_lm, tmp_path):
    """A run killed once its first epoch's checkpoint is written, then resumed, ends as the uninterrupted run."""
    uninterrupted, _ = finished("rte")
    args = task_args("rte", plain_lm, tmp_path)
    assert run_killed_after_first_epoch(SCRIPT, args, tmp_path) == -signal.SIGKILL
    assert sorted(path.name for path in tmp_path.glob("checkpoint-*")) == ["checkpoint-epoch-1"]
    assert not (tmp_path / "all_results.json").exists()

    log = run_ok(SCRIPT, [*args, "--resume_from_checkpoint", "latest"])
    assert f"resumed from {tmp_path / 'checkpoint-epoch-1'}" in log
    assert results(tmp_path) == results(uninterrupted)
    assert predictions(tmp_path) == predictions(uninterrupted)
    assert (tmp_path / "model.safetensors").read_bytes() == (uninterrupted / "model.safetensors").read_bytes()
    # the killed run's steps and the resumed run's, each equal to the uninterrupted run's at its step
    reference = dict(train_losses(uninterrupted))
    losses = train_losses(tmp_path)
    assert {step for step, _ in losses} == set(reference)
    assert all(loss == reference[step] for step, loss in losses)


def write_rte_file(path, header, rows):
    path.write_text("".join("\t".join(row) + "\n" for row in [header, *rows]), encoding="utf-8")
    return path


RTE_HEADER = ["index", "sentence1", "sentence2", "label"]
RTE_ROWS = [[str(i), f"Premise {i}.", f"Hypothesis {i}.", "entailment"] for i in range(4)]


def bad_missing_file(tmp_path):
    missing = tmp_path / "absent.tsv"
    return {"--train_file": missing}, [f"{missing} does not exist"]


def bad_empty_file(tmp_path):
    empty = tmp_path / "train.tsv"
    empty.write_text("")
    return {"--train_file": empty}, [f"{empty} is empty"]


def bad_columns(tmp_path):
    path = write_rte_file(tmp_path / "train.tsv", ["index", "premise_text", "sentence2", "label"], RTE_ROWS)
    return {"--train_file": path}, [str(path), "lacks the text column of rte", "premise_text"]


def bad_label(tmp_path):
    rows = [*RTE_ROWS[:2], ["2", "Premise.", "Hypothesis.", "maybe"], *RTE_ROWS[3:]]
    path = write_rte_file(tmp_path / "train.tsv", RTE_HEADER, rows)
    # the header is line 1, so the third row is line 4
    return {"--train_file": path}, [f"{path}, line 4, column 'label'", "'maybe' is not one of"]


def bad_task(tmp_path):
    return {"--task_name": "rte2"}, ["unknown task 'rte2'"]


def bad_sample_count(tmp_path):
    # before it was refused, nothing was evaluated and the metric failed with a traceback after training
    return {"--max_eval_samples": 0}, ["--max_eval_samples must be at least 1"]


def bad_checkpoint(tmp_path):
    return {"--resume_from_checkpoint": tmp_path / "nowhere"}, ["--resume_from_checkpoint", "not a checkpoint-epoch-N"]


BAD_INPUTS = [bad_missing_file, bad_empty_file, bad_columns, bad_label, bad_task, bad_sample_count, bad_checkpoint]


@pytest.mark.parametrize("bad_input", BAD_INPUTS)
def test_bad_input_is_one_clear_line_and_leaves_the_output_folder_alone(bad_input, plain_lm, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    changed, message = bad_input(data)
    output_dir = write_earlier_outputs(tmp_path / "out")
    before = snapshot(output_dir)

    args = {"--model_name_or_path": plain_lm, "--task_name": "rte", "--output_dir": output_dir}
    if "--train_file" in changed:
        args["--validation_file"] = require(GLUE / "RTE" / "dev.tsv")
    else:
        args["--data_dir"] = require(GLUE / "RTE")
    args.update(changed)
    done = run(SCRIPT, [part for pair in args.items() for part in pair])
    assert_clean_error(done, *message)
    assert snapshot(output_dir) == before
