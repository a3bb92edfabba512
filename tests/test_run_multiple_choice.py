"""examples/run_multiple_choice.py end to end on the real Story Cloze validation stories (the original 1,497 / 374
split) and on real RACE dev articles, started from a tiny plain GPT-1 LM: its outputs, its metrics against
scikit-learn on its own predictions, one process against two, exact resume after a SIGKILL, and each bad input's
one-line message with the output folder untouched.

Runs are small (32 training rows, 4 updates an epoch) and each is shared by the tests that read it."""

import csv
import json
import shutil
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
from shared_data import RACE, STORY_CLOZE, require
from sklearn.metrics import accuracy_score
from transformers import AutoModelForMultipleChoice, AutoTokenizer

from modeling_gpt1 import GPT1ForMultipleChoice, GPT1Tokenizer
from modeling_gpt1.data.tasks import load_story_cloze

SCRIPT = "run_multiple_choice.py"
# the paper's recipe on little data, from seed 0
SMALL_RUN = ["--max_train_samples", 32, "--per_device_train_batch_size", 8, "--seed", 0]
# Story Cloze's reference run: 2 epochs for the resume test, an odd number of evaluated stories for the processes
STORY_RUN = ["--num_train_epochs", 2, "--max_eval_samples", 37, "--max_seq_length", 64]
# RACE: every question of 3 middle-school and 3 high-school dev articles, the whole 128-token context
RACE_RUN = ["--num_train_epochs", 1, "--max_seq_length", 128]
ADDED_TOKENS_MESSAGE = "no fine-tuning tokens: adding 3 rows"


@pytest.fixture(scope="module")
def plain_lm(tmp_path_factory):
    return save_plain_lm(tmp_path_factory.mktemp("plain_lm"))


def story_args(plain_lm, output_dir, batch_size=8):
    """Story Cloze from its real validation file, which the script splits 1,497 / 374 as the original."""
    data = ["--dataset", "story_cloze", "--data_dir", require(STORY_CLOZE).parent]
    args = [*data, "--model_name_or_path", plain_lm, "--output_dir", output_dir, *SMALL_RUN, *STORY_RUN]
    return [*args, "--per_device_train_batch_size", batch_size]


@pytest.fixture(scope="module")
def story_run(plain_lm, tmp_path_factory):
    """The output folder and log of Story Cloze's one-process run."""
    output_dir = tmp_path_factory.mktemp("story_cloze")
    return output_dir, run_ok(SCRIPT, story_args(plain_lm, output_dir))


def race_subset(folder, articles):
    """A RACE split folder holding copies of real dev articles (`{level: slice of the level's files}`); the
    level of each question, by the id the script gives it (`<article id>-<question index>`), and its answer."""
    answers, levels = {}, {}
    for level, chosen in articles.items():
        (folder / level).mkdir(parents=True)
        for path in sorted((require(RACE) / "RACE" / "dev" / level).glob("*.txt"))[chosen]:
            shutil.copy(path, folder / level)
            article = json.loads(path.read_text(encoding="utf-8"))
            for index, answer in enumerate(article["answers"]):
                answers[f"{article['id']}-{index}"] = "ABCD".index(answer)
                levels[f"{article['id']}-{index}"] = level
    return answers, levels


@pytest.fixture(scope="module")
def race_run(plain_lm, tmp_path_factory):
    """RACE trained on questions of 12 dev articles and evaluated on all those of 6 others, both levels in each:
    the output folder, the log, and each evaluated question's answer and level."""
    data = tmp_path_factory.mktemp("race_data")
    race_subset(data / "train", {"middle": slice(6, 12), "high": slice(6, 12)})
    answers, levels = race_subset(data / "dev", {"middle": slice(0, 3), "high": slice(0, 3)})
    output_dir = tmp_path_factory.mktemp("race")
    files = ["--train_file", data / "train", "--validation_file", data / "dev"]
    args = ["--dataset", "race", *files, "--model_name_or_path", plain_lm, "--output_dir", output_dir]
    return output_dir, run_ok(SCRIPT, [*args, *SMALL_RUN, *RACE_RUN]), answers, levels


def raw_story_answers():
    """Each validation story's right ending (0 or 1), read from the CSV with the csv module."""
    with open(require(STORY_CLOZE), encoding="utf-8", newline="") as file:
        return {row["InputStoryid"]: int(row["AnswerRightEnding"]) - 1 for row in csv.DictReader(file)}


def check_saved_model(output_dir):
    """The fine-tuned model and tokenizer load through the Auto classes, with the weights saved."""
    tokenizer = AutoTokenizer.from_pretrained(output_dir)
    model = AutoModelForMultipleChoice.from_pretrained(output_dir)
    assert isinstance(tokenizer, GPT1Tokenizer) and isinstance(model, GPT1ForMultipleChoice)
    assert model.config.vocab_size == len(tokenizer) == tokenizer.vocab_size + 3
    assert model.config.extract_token_id == tokenizer.cls_token_id
    saved = weights(output_dir / "model.safetensors")
    assert all(torch.equal(model.state_dict()[name], tensor) for name, tensor in saved.items())


def test_story_cloze_outputs(story_run):
    output_dir, log = story_run
    assert set(results(output_dir)) == {"train_steps", "eval_accuracy"}
    assert ADDED_TOKENS_MESSAGE in log
    rows = predictions(output_dir)
    # the first 37 stories of the original split's 374 held out, with the answers of the raw file
    held_out = load_story_cloze(require(STORY_CLOZE).parent)
    assert (len(held_out["train"]), len(held_out["validation"])) == (1497, 374)
    assert [row["id"] for row in rows] == held_out["validation"]["id"][:37]
    answers = raw_story_answers()
    assert all(row["label"] == answers[row["id"]] for row in rows)
    assert all(row["prediction"] in (0, 1) for row in rows)
    assert event_files(output_dir / "runs")
    check_saved_model(output_dir)


def test_story_cloze_accuracy_equals_a_recomputation(story_run):
    output_dir, _ = story_run
    rows = predictions(output_dir)
    assert len({row["prediction"] for row in rows}) > 1
    gold, predicted = [row["label"] for row in rows], [row["prediction"] for row in rows]
    assert results(output_dir)["eval_accuracy"] == pytest.approx(accuracy_score(gold, predicted), abs=1e-12)


def test_race_outputs(race_run):
    output_dir, log, answers, levels = race_run
    assert set(results(output_dir)) == {"train_steps", "eval_accuracy", "eval_accuracy_middle", "eval_accuracy_high"}
    assert ADDED_TOKENS_MESSAGE in log
    # every article is longer than 128 tokens: each question's context is cut and the log counts them
    assert f"validation: {len(answers)} of {len(answers)} examples were longer than 128 tokens" in log
    rows = predictions(output_dir)
    # every question of the 6 articles, once, with its answer in the article file
    assert sorted(row["id"] for row in rows) == sorted(answers)
    assert all(row["label"] == answers[row["id"]] for row in rows)
    assert all(row["prediction"] in range(4) for row in rows)
    assert {levels[row["id"]] for row in rows} == {"middle", "high"}
    assert event_files(output_dir / "runs")
    check_saved_model(output_dir)


def test_race_accuracies_equal_a_recomputation(race_run):
    output_dir, _, _, levels = race_run
    rows = predictions(output_dir)
    assert len({row["prediction"] for row in rows}) > 1
    recomputed = {}
    for name, level in (("eval_accuracy", None), ("eval_accuracy_middle", "middle"), ("eval_accuracy_high", "high")):
        chosen = [row for row in rows if level in (None, levels[row["id"]])]
        recomputed[name] = accuracy_score([row["label"] for row in chosen], [row["prediction"] for row in chosen])
    reported = {name: value for name, value in results(output_dir).items() if name != "train_steps"}
    assert reported == pytest.approx(recomputed, abs=1e-12)


def test_two_processes_match_one(story_run, plain_lm, tmp_path):
    """Two CPU processes of 4 stories each against one process of 8: the same batches, so the same training."""
    one, _ = story_run
    run_ok(SCRIPT, story_args(plain_lm, tmp_path, batch_size=4), processes=2)
    assert results(tmp_path) == pytest.approx(results(one), abs=1e-6)
    # 37 stories in 2 processes: the story repeated to even out the last batches is dropped
    assert predictions(tmp_path) == predictions(one)
    losses_one, losses_two = train_losses(one), train_losses(tmp_path)
    assert [step for step, _ in losses_two] == [step for step, _ in losses_one] == list(range(1, 9))
    # losses near 6 are float32, 4.8e-7 apart there: 1e-6 of the loss allows a few roundings, no more
    for (step, loss_one), (_, loss_two) in zip(losses_one, losses_two, strict=True):
        assert loss_two == pytest.approx(loss_one, rel=1e-6), f"step {step}"
    largest = max(abs(one - two) for (_, one), (_, two) in zip(losses_one, losses_two, strict=True))
    print(f"1 vs 2 processes: {results(one)} and {results(tmp_path)}, largest |loss difference| {largest:.1e}")  # -s


def test_resume_after_sigkill_is_exact(story_run, plain_lm, tmp_path):
    """A run killed once its first epoch's checkpoint is written, then resumed, ends as the uninterrupted run."""
    uninterrupted, _ = story_run
    args = story_args(plain_lm, tmp_path)
    assert run_killed_after_first_epoch(SCRIPT, args, tmp_path) == -signal.SIGKILL
    assert sorted(path.name for path in tmp_path.glob("checkpoint-*")) == ["checkpoint-epoch-1"]
    assert not (tmp_path / "all_results.json").exists()

    log = run_ok(SCRIPT, [*args, "--resume_from_checkpoint", "latest"])
    assert f"resumed from {tmp_path / 'checkpoint-epoch-1'}" in log
    assert results(tmp_path) == results(uninterrupted)
    assert predictions(tmp_path) == predictions(uninterrupted)
    assert (tmp_path / "model.safetensors").read_bytes() == (uninterrupted / "model.safetensors").read_bytes()
    reference = dict(train_losses(uninterrupted))
    losses = train_losses(tmp_path)
    assert {step for step, _ in losses} == set(reference)
    assert all(loss == reference[step] for step, loss in losses)


STORY_HEADER = [
    "InputStoryid",
    *(f"InputSentence{i}" for i in range(1, 5)),
    "RandomFifthSentenceQuiz1",
    "RandomFifthSentenceQuiz2",
    "AnswerRightEnding",
]


def write_stories(path, answers=("1", "2", "1"), columns=None):
    """A small Story Cloze CSV with the given answers, in the first `columns` columns of the original."""
    rows = [
        [f"story-{i}", "One.", "Two.", "Three.", "Four.", "Good end.", "Bad end.", answer]
        for i, answer in enumerate(answers)
    ]
    with open(path, "w", encoding="utf-8", newline="") as file:
        csv.writer(file).writerows(row[:columns] for row in [STORY_HEADER, *rows])
    return path


def bad_missing_file(tmp_path):
    missing = tmp_path / "absent.csv"
    return {"--train_file": missing}, [f"{missing} does not exist"]


def bad_empty_file(tmp_path):
    empty = tmp_path / "train.csv"
    empty.write_text("")
    return {"--train_file": empty}, [f"{empty} is empty"]


def bad_columns(tmp_path):
    path = write_stories(tmp_path / "train.csv", columns=len(STORY_HEADER) - 1)
    return {"--train_file": path}, [f"{path} lacks the Story Cloze columns AnswerRightEnding"]


def bad_story_answer(tmp_path):
    path = write_stories(tmp_path / "train.csv", answers=("1", "3", "2"))
    # the header is line 1, so the second story is line 3
    return {"--train_file": path}, [f"{path}, line 3, column 'AnswerRightEnding'", "'3' is not 1 or 2"]


def bad_race_answer(tmp_path):
    for split in ("train", "dev"):
        for level in ("middle", "high"):
            (tmp_path / split / level).mkdir(parents=True)
            article = {"id": f"{level}1.txt", "article": "A text.", "questions": ["Which?"]}
            article |= {
                "options": [["a", "b", "c", "d"]],
                "answers": ["E" if split == "train" and level == "high" else "A"],
            }
            (tmp_path / split / level / "1.txt").write_text(json.dumps(article))
    where = tmp_path / "train" / "high" / "1.txt"
    args = {"--dataset": "race", "--train_file": tmp_path / "train", "--validation_file": tmp_path / "dev"}
    return args, [f"{where}, question 0, column 'answers'", "'E' is not one of A, B, C, D"]


def bad_dataset(tmp_path):
    return {"--dataset": "swag"}, ["--dataset", "invalid choice: 'swag'"]


BAD_INPUTS = [bad_missing_file, bad_empty_file, bad_columns, bad_story_answer, bad_race_answer, bad_dataset]


@pytest.mark.parametrize("bad_input", BAD_INPUTS)
def test_bad_input_is_one_clear_line_and_leaves_the_output_folder_alone(bad_input, plain_lm, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    changed, message = bad_input(data)
    output_dir = write_earlier_outputs(tmp_path / "out")
    before = snapshot(output_dir)

    args = {"--model_name_or_path": plain_lm, "--dataset": "story_cloze", "--output_dir": output_dir}
    if "--train_file" in changed and "--validation_file" not in changed:
        args["--validation_file"] = write_stories(data / "validation.csv")
    args.update(changed)
    done = run(SCRIPT, [part for pair in args.items() for part in pair])
    assert_clean_error(done, *message)
    assert snapshot(output_dir) == before
