"""examples/run_zero_shot.py on the real CoLA, RTE, Story Cloze and RACE files, with a model from
examples/run_pretraining.py (whose run also tracks zero-shot scores at its checkpoints); runs are fresh processes,
the errors caught before scoring are checked in this process."""

import json

import pytest
import torch
from finetuning_runs import run_ok, stopped_with_error
from shared_data import DATA, GLUE, RACE, STORY_CLOZE, VOCAB, load_script, require
from sklearn.metrics import accuracy_score, matthews_corrcoef

from modeling_gpt1 import GPT1LMHeadModel, GPT1Tokenizer
from modeling_gpt1.convert import to_openai_gpt
from modeling_gpt1.data.tasks import load_race

run_zero_shot = load_script("examples/run_zero_shot.py")

CORPUS = DATA / "corpus" / "combined_en.txt"
SAMPLES = 24


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory):
    """A tiny GPT-1 (2 x 32, 128 positions) pretrained for 8 updates on a slice of the corpus, with GPT-1's released
    vocabulary, tracking Story Cloze and CoLA zero-shot at its checkpoints (every 4 updates)."""
    folder = tmp_path_factory.mktemp("pretrained")
    with open(require(CORPUS), encoding="utf-8") as file:
        (folder / "corpus.txt").write_text(file.read(200_000), encoding="utf-8")
    args = [
        "--train_files", folder / "corpus.txt", "--cache_dir", folder / "cache", "--output_dir", folder / "lm",
        "--config_overrides", "n_layer=2,n_embd=32,n_head=2,n_positions=128",
        "--tokenizer_name", require(VOCAB).parent,
        "--per_device_train_batch_size", 4, "--gradient_accumulation_steps", 1, "--max_steps", 8,
        "--checkpointing_steps", 4, "--eval_steps", 4, "--max_eval_samples", 8, "--report_to", "none",
        "--zero_shot_tasks", f"story_cloze={require(STORY_CLOZE).parent}", f"cola={require(GLUE / 'CoLA')}",
        "--zero_shot_max_samples", SAMPLES,
    ]  # fmt: skip
    run_ok("run_pretraining.py", args)
    return folder / "lm"


def test_pretraining_tracks_zero_shot_scores_at_its_checkpoints(pretrained):
    history = json.loads((pretrained / "checkpoint-step-8" / "history.json").read_text())
    tokens = [seen for seen, _ in history["zero_shot"]]
    assert tokens == [4 * 4 * 128, 8 * 4 * 128]
    results = json.loads((pretrained / "all_results.json").read_text())
    last = history["zero_shot"][-1][1]
    assert set(last) == {"story_cloze_accuracy", "cola_matthews_correlation"}
    assert all(results[f"zero_shot_{name}"] == value for name, value in last.items())
    assert 0 <= last["story_cloze_accuracy"] <= 1 and -1 <= last["cola_matthews_correlation"] <= 1
    assert (pretrained / "zero_shot.png").read_bytes().startswith(b"\x89PNG")


def zero_shot(pretrained, output_dir, task, data_dir, *extra) -> tuple[dict, list[dict]]:
    """Run the script; its results and its predictions."""
    args = [
        "--model_name_or_path", pretrained, "--task_name", task, "--data_dir", data_dir,
        "--output_dir", output_dir, "--max_eval_samples", SAMPLES, "--max_train_samples", 200, *extra,
    ]  # fmt: skip
    run_ok("run_zero_shot.py", args)
    results = json.loads((output_dir / "all_results.json").read_text())
    lines = (output_dir / "predictions_validation.jsonl").read_text().splitlines()
    return results, [json.loads(line) for line in lines]


@pytest.mark.parametrize(
    ("task", "data", "shots", "heuristic", "metric"),
    [
        ("cola", GLUE / "CoLA", "0", "threshold", "matthews_correlation"),
        ("rte", GLUE / "RTE", "1", "prompt", "accuracy"),
        ("story_cloze", STORY_CLOZE.parent, "0", "ending", "accuracy"),
        ("story_cloze", STORY_CLOZE.parent, "max", "prompt", "accuracy"),
        ("race", RACE, "0", "answer", "accuracy"),
    ],
)
def test_real_tasks_score_and_report(pretrained, tmp_path, task, data, shots, heuristic, metric):
    results, rows = zero_shot(pretrained, tmp_path, task, require(data), "--num_fewshot", shots)
    assert (results["task"], results["heuristic"], str(results["num_fewshot"])) == (task, heuristic, shots)
    assert results["eval_samples"] == len(rows) == SAMPLES
    predictions, labels = [r["prediction"] for r in rows], [r["label"] for r in rows]
    score = matthews_corrcoef if metric == "matthews_correlation" else accuracy_score
    assert results[f"eval_{metric}"] == pytest.approx(score(labels, predictions))
    choices = {"race": 4, "cola": 1}.get(task, 2)
    assert all(len(r["scores"]) == choices for r in rows)
    if heuristic == "threshold":
        assert predictions == [int(r["scores"][0] > results["threshold"]) for r in rows]
    else:
        assert all(r["prediction"] == max(range(choices), key=r["scores"].__getitem__) for r in rows)
    if shots == "max":
        # the drawn shots, in order, until the next does not fit: most stories hold one or more at 128 positions
        assert results["eval_mean_shots"] == sum(r["shots"] for r in rows) / SAMPLES > 0.5
        assert results["eval_fewer_shots"] == 0
    if shots == "1":
        assert results["eval_fewer_shots"] == sum(r["shots"] < 1 for r in rows)


def test_race_prompts_longer_than_the_context_are_counted(pretrained, tmp_path):
    """At 128 positions most RACE articles do not fit: each cut prompt is counted, by the tokenizer's own count."""
    results, rows = zero_shot(pretrained, tmp_path, "race", require(RACE))
    tokenizer = GPT1Tokenizer.from_pretrained(pretrained)
    examples = load_race(RACE)["validation"].select(range(SAMPLES))
    longer = 0
    for example in examples:
        prompt = tokenizer.encode(f"{example['text']} {example['question']}", add_special_tokens=False)
        answer = max(len(tokenizer.encode(" " + c, add_special_tokens=False)) for c in example["choices"])
        longer += len(prompt) + answer > 128
    assert results["eval_truncated"] == longer > 0


def test_two_processes_give_the_same_predictions(pretrained, tmp_path):
    args = [
        "--model_name_or_path", pretrained, "--task_name", "story_cloze", "--data_dir", require(STORY_CLOZE).parent,
        "--max_eval_samples", 9, "--num_fewshot", 1,
    ]  # fmt: skip
    run_ok("run_zero_shot.py", [*args, "--output_dir", tmp_path / "one"])
    run_ok("run_zero_shot.py", [*args, "--output_dir", tmp_path / "two"], processes=2)
    one = (tmp_path / "one" / "predictions_validation.jsonl").read_text().splitlines()
    two = (tmp_path / "two" / "predictions_validation.jsonl").read_text().splitlines()
    assert len(one) == 9
    for a, b in zip(map(json.loads, one), map(json.loads, two), strict=True):
        assert (a["id"], a["prediction"], a["shots"]) == (b["id"], b["prediction"], b["shots"])
        assert a["scores"] == pytest.approx(b["scores"], abs=1e-5)


def main_error(argv, capsys) -> str:
    """The one-line error of a run that stops before scoring, in this process."""
    return stopped_with_error(run_zero_shot.main, argv, capsys)


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--task_name", "qqp"], "unknown task 'qqp'; the tasks are cola, sst2, mrpc, rte, story_cloze, race"),
        (["--task_name", "cola", "--heuristic", "very"], "unknown heuristic 'very' for cola"),
        (["--task_name", "sst2", "--num_fewshot", "some"], "must be an integer >= 0 or 'max', got 'some'"),
        (["--task_name", "cola", "--heuristic", "threshold", "--num_fewshot", "2"], "few-shot evaluation needs"),
        (["--task_name", "rte", "--num_fewshot", "9", "--max_train_samples", "5"], "--num_fewshot 9 exceeds the 5"),
        (["--task_name", "winograd"], "pass --validation_file"),
    ],
)
def test_bad_settings_are_clear_errors(extra, expected, tmp_path, capsys):
    data = ["--data_dir", require(GLUE / "RTE")] if "rte" in extra else []
    argv = ["--model_name_or_path", tmp_path / "absent", "--output_dir", tmp_path / "out", *data, *extra]
    assert expected in main_error(argv, capsys)
    assert not (tmp_path / "out").exists()


def test_a_winograd_file_without_a_blank_is_refused_by_row(tmp_path, capsys):
    rows = [{"sentence": "Ann thanked Mary because _ helped.", "option1": "Ann", "option2": "Mary", "answer": "2"}]
    rows.append({"sentence": "Ann left.", "option1": "Ann", "option2": "Mary", "answer": "1"})
    path = tmp_path / "wsc.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    argv = ["--model_name_or_path", tmp_path / "absent", "--output_dir", tmp_path / "out", "--task_name", "winograd"]
    error = main_error([*argv, "--validation_file", path], capsys)
    assert f"{path}, line 2, column 'sentence'" in error and "must hold one blank" in error


def test_winograd_sentences_from_a_file(pretrained, tmp_path):
    rows = [
        {"qID": f"q{i}", "sentence": f"Ann thanked Mary because _ had helped her {i} times.", "option1": "Ann",
         "option2": "Mary", "answer": "2"}
        for i in range(6)
    ]  # fmt: skip
    path = tmp_path / "wsc.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    args = ["--model_name_or_path", pretrained, "--task_name", "winograd", "--validation_file", path]
    run_ok("run_zero_shot.py", [*args, "--output_dir", tmp_path / "out"])
    results = json.loads((tmp_path / "out" / "all_results.json").read_text())
    lines = (tmp_path / "out" / "predictions_validation.jsonl").read_text().splitlines()
    predictions = [json.loads(line) for line in lines]
    assert results["heuristic"] == "substitution" and [p["id"] for p in predictions] == [r["qID"] for r in rows]
    assert results["eval_accuracy"] == pytest.approx(sum(p["prediction"] == 1 for p in predictions) / 6)


def test_transformers_gpt1_port_is_converted(pretrained, tmp_path):
    """A folder of transformers' OpenAIGPTLMHeadModel loads as ours, with the same logits."""
    ours = GPT1LMHeadModel.from_pretrained(pretrained).eval()
    to_openai_gpt(ours).save_pretrained(tmp_path / "port")
    GPT1Tokenizer.from_pretrained(pretrained).save_pretrained(tmp_path / "port")
    tokenizer, loaded = run_zero_shot.load_model(str(tmp_path / "port"))
    assert type(loaded) is GPT1LMHeadModel
    ids = tokenizer("the cat sat on the mat .", return_tensors="pt", add_special_tokens=False)["input_ids"]
    with torch.no_grad():
        torch.testing.assert_close(loaded.eval()(ids).logits, ours(ids).logits, atol=1e-5, rtol=0)
