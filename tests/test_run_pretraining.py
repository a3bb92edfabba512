"""examples/run_pretraining.py end to end on a slice of the real corpus, as users start it.

A tiny GPT-1 (2 layers, 32 wide, 32-token windows) with GPT-1's released vocabulary trains for 12 updates of
8 windows; runs are fresh processes (one, or two CPU processes through accelerate), and the errors caught before
training are checked in this process through `pretraining.main`.
"""

import contextlib
import json
import math
import os
import shutil
import signal
import subprocess
import sys
from collections import Counter

import datasets
import huggingface_hub
import matplotlib.image
import numpy as np
import pytest
import torch
from finetuning_runs import (
    REPO,
    run_killed_after,
    run_ok,
    snapshot,
    stopped_with_error,
    train_losses,
    weights,
)
from shared_data import DATA, MERGES, VOCAB, load_script, require
from transformers import AutoModelForCausalLM, AutoTokenizer

from modeling_gpt1 import GPT1Config, GPT1LMHeadModel, GPT1Tokenizer
from modeling_gpt1.training import pretraining

SCRIPT = "run_pretraining.py"
CORPUS = DATA / "corpus" / "combined_en.txt"
TINY = "n_layer=2,n_embd=32,n_head=2,n_positions=32"
NO_DROPOUT = ",embd_pdrop=0.0,attn_pdrop=0.0,resid_pdrop=0.0"
UPDATES, WINDOWS, BLOCK = 12, 8, 32


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """The first ~300 KB of the real corpus, cut at a paragraph break."""
    with open(require(CORPUS), encoding="utf-8") as file:
        text = file.read(300_000)
    path = tmp_path_factory.mktemp("corpus") / "corpus.txt"
    path.write_text(text[: text.rindex("\n\n")], encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """One token cache for the module's runs: the corpus is tokenized once."""
    return tmp_path_factory.mktemp("token-cache")


def arguments(corpus, cache, output_dir, *extra, overrides=TINY, accumulation=2, released_vocabulary=True) -> list:
    """The command line of a tiny run: 8 windows of 32 tokens per update (4 per device x `accumulation`)."""
    args = [
        "--output_dir", output_dir, "--cache_dir", cache, "--config_overrides", overrides,
        "--per_device_train_batch_size", 4, "--learning_rate", 1e-3, "--warmup_steps", 4, "--max_steps", UPDATES,
        "--eval_steps", 6, "--checkpointing_steps", 4, "--logging_steps", 1, "--max_eval_samples", 16, "--seed", 0,
    ]  # fmt: skip
    if corpus is not None:
        args += ["--train_files", corpus]
    if accumulation is not None:
        args += ["--gradient_accumulation_steps", accumulation]
    if released_vocabulary:
        args += ["--tokenizer_name", require(VOCAB).parent]
    return [*args, *extra]


@pytest.fixture(scope="module")
def finished(corpus, cache, tmp_path_factory):
    """The output folder of a run to its end (dropout 0.1, the default)."""
    output_dir = tmp_path_factory.mktemp("finished")
    run_ok(SCRIPT, arguments(corpus, cache, output_dir))
    return output_dir


def results(output_dir) -> dict:
    return json.loads((output_dir / "all_results.json").read_text())


def held_out_windows(output_dir, cache, fraction=0.05, count=16) -> np.ndarray:
    """The validation windows as the issue defines them, rebuilt from the run's cached stream: the last 5% of the
    tokens cut into non-overlapping windows, `count` of them evenly spaced."""
    settings = json.loads((output_dir / f"checkpoint-step-{UPDATES}" / "run.json").read_text())
    stream = np.load(cache / f"{settings['token_stream']}.npy")
    validation = stream[len(stream) - round(len(stream) * fraction) :]
    windows = validation[: len(validation) // BLOCK * BLOCK].reshape(-1, BLOCK)
    return windows[np.linspace(0, len(windows) - 1, count).round().astype(int)].astype(np.int64)


def test_a_run_reports_and_saves_what_it_should(finished, cache):
    report = results(finished)
    assert report["train_steps"] == UPDATES
    assert report["tokens_seen"] == UPDATES * WINDOWS * BLOCK
    assert report["eval_perplexity"] == pytest.approx(math.exp(report["eval_loss"]))
    assert report["tokens_per_second"] > 0 and report["train_runtime"] > 0
    # the unigram model fitted to the predicted validation tokens, computed here with a Counter
    windows = held_out_windows(finished, cache)
    counts = Counter(windows[:, 1:].ravel().tolist())
    total = sum(counts.values())
    entropy = -sum(c / total * math.log(c / total) for c in counts.values())
    assert report["eval_tokens"] == total
    assert report["unigram_perplexity"] == pytest.approx(math.exp(entropy), rel=1e-9)

    # the saved model, loaded back, gives the reported validation loss on those windows
    model = AutoModelForCausalLM.from_pretrained(finished).eval()
    batch = torch.from_numpy(windows)
    with torch.no_grad():
        loss = model(batch, labels=batch).loss.item()
    assert loss == pytest.approx(report["eval_loss"], abs=1e-5)
    assert model.config.vocab_size == 40478  # no rows for the fine-tuning tokens, as pretraining had
    tokenizer = AutoTokenizer.from_pretrained(finished)
    released = GPT1Tokenizer(require(VOCAB), require(MERGES))
    text = "It was a dark and stormy night; the rain fell in torrents."
    assert tokenizer(text)["input_ids"] == released(text)["input_ids"]


def test_logs_checkpoints_and_plot(finished):
    losses = train_losses(finished, "train_loss")
    assert [step for step, _ in losses] == list(range(1, UPDATES + 1))
    assert [step for step, _ in train_losses(finished, "eval_perplexity")] == [6, 12]
    # transformers' warm-up from 0 over 4 updates, then cosine decay to 0 at update 12 (the rate of each update)
    rates = dict(train_losses(finished, "learning_rate"))
    assert rates[1] == 0.0 and rates[4] == pytest.approx(0.75e-3) and rates[5] == pytest.approx(1e-3)
    assert rates[9] == pytest.approx(0.5e-3) and rates[UPDATES] == pytest.approx(
        0.5e-3 * (1 + math.cos(7 / 8 * math.pi))
    )
    assert sorted(path.name for path in finished.glob("checkpoint-step-*")) == [
        "checkpoint-step-12",
        "checkpoint-step-4",
        "checkpoint-step-8",
    ]
    assert not list(finished.glob(".*"))  # no partial folder or file left behind
    settings = json.loads((finished / "checkpoint-step-8" / "run.json").read_text())
    assert [settings[key] for key in ("global_batch_size", "block_size", "total_updates")] == [WINDOWS, BLOCK, UPDATES]
    image = matplotlib.image.imread(finished / "loss.png")
    assert image.ndim == 3 and image.shape[0] > 200 and image.shape[1] > 300
    assert image[..., :3].std() > 0.05  # something is drawn on it


def test_resume_after_sigkill_ends_with_the_same_weights(finished, corpus, cache, tmp_path):
    """Killed once its second checkpoint is in place, resumed from the latest: the final weights are
    bit-for-bit those of the run that was never stopped (dropout on, so the RNG states must come back too)."""
    args = arguments(corpus, cache, tmp_path)
    assert run_killed_after(SCRIPT, args, tmp_path / "checkpoint-step-8") == -signal.SIGKILL
    assert not (tmp_path / "all_results.json").exists()
    run_ok(SCRIPT, [*args, "--resume_from_checkpoint", "latest"])
    resumed, uninterrupted = weights(tmp_path / "model.safetensors"), weights(finished / "model.safetensors")
    assert resumed.keys() == uninterrupted.keys()
    for name in resumed:
        assert torch.equal(resumed[name], uninterrupted[name]), name
    assert dict(train_losses(tmp_path)) == dict(train_losses(finished))
    assert results(tmp_path)["eval_loss"] == results(finished)["eval_loss"]


def test_two_processes_follow_the_one_process_curve(corpus, cache, tmp_path):
    """The same 8 windows per update as 4 x 2 accumulated on one process and 4 x 1 on each of two processes."""
    one, two = tmp_path / "one", tmp_path / "two"
    run_ok(SCRIPT, arguments(corpus, cache, one, overrides=TINY + NO_DROPOUT))
    run_ok(SCRIPT, arguments(corpus, cache, two, overrides=TINY + NO_DROPOUT, accumulation=1), processes=2)
    assert results(two)["num_processes"] == 2 and results(two)["tokens_seen"] == UPDATES * WINDOWS * BLOCK
    curve_one, curve_two = train_losses(one), train_losses(two)
    assert [step for step, _ in curve_one] == [step for step, _ in curve_two] == list(range(1, UPDATES + 1))
    assert max(abs(a - b) for (_, a), (_, b) in zip(curve_one, curve_two, strict=True)) < 1e-5
    assert results(two)["eval_loss"] == pytest.approx(results(one)["eval_loss"], abs=1e-5)


def test_new_vocabulary_learned_on_the_corpus(corpus, tmp_path):
    output_dir = tmp_path / "out"
    # no accumulation given: the paper's 64 windows per update, 4 per device x 16
    args = arguments(corpus, tmp_path / "cache", output_dir, "--new_vocab_merges", 300, "--max_steps", 2,
                     accumulation=None, released_vocabulary=False)  # fmt: skip
    run_ok(SCRIPT, args)
    assert results(output_dir)["tokens_seen"] == 2 * 64 * BLOCK
    tokenizer = AutoTokenizer.from_pretrained(output_dir)
    model = AutoModelForCausalLM.from_pretrained(output_dir)
    assert isinstance(tokenizer, GPT1Tokenizer) and len(tokenizer.merges) == 300
    assert model.config.vocab_size == tokenizer.vocab_size < 1000
    ids = tokenizer("The people of the town were waiting for the news.", add_special_tokens=False)["input_ids"]
    assert 0 not in ids and max(ids) < tokenizer.vocab_size  # every word is known, no <unk>


def test_dataset_from_a_local_folder(corpus, tmp_path):
    """`--dataset_name` reads what `datasets.load_dataset` reads: here a local folder of JSON lines."""
    folder = tmp_path / "dataset"
    folder.mkdir()
    paragraphs = [p for p in corpus.read_text().split("\n\n") if p.strip()]
    (folder / "train.jsonl").write_text("".join(json.dumps({"body": p}) + "\n" for p in paragraphs))
    extra = ["--max_steps", 2, "--dataset_name", folder, "--text_column", "body"]
    run_ok(SCRIPT, arguments(None, tmp_path / "cache", tmp_path / "out", *extra))
    assert results(tmp_path / "out")["tokens_seen"] == 2 * WINDOWS * BLOCK


def test_undecodable_bytes_are_replaced_and_counted(corpus, tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"caf\xe9 and \xff\xfe more\n\n" + corpus.read_bytes())
    args = arguments(path, tmp_path / "cache", tmp_path / "out", "--max_steps", 1)
    log = run_ok(SCRIPT, args)
    # \xe9 before a space, \xff and \xfe: three bytes that start no UTF-8 character
    assert f"{path}: 3 undecodable byte sequence(s) replaced with U+FFFD" in log


def main_error(argv, capsys) -> str:
    """The one-line error of a run that stops before training, in this process."""
    return stopped_with_error(pretraining.main, argv, capsys)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such file"),
        ("", "the file is empty"),
        ("\n \n", "the file is empty"),
        ("Too short.", "shorter than"),
    ],
)
def test_bad_corpus_is_a_clear_error(content, expected, tmp_path, capsys):
    path = tmp_path / "corpus.txt"
    if content is not None:
        path.write_text(content)
    output_dir = tmp_path / "out"
    error = main_error(arguments(path, tmp_path / "cache", output_dir), capsys)
    assert error.startswith("run_pretraining.py: error: ") and expected in error
    assert not output_dir.exists()


def test_an_output_folder_holding_another_run_is_refused(finished, corpus, cache, capsys):
    before = snapshot(finished)
    error = main_error(arguments(corpus, cache, finished), capsys)
    assert "holds another run" in error and "--resume_from_checkpoint latest" in error
    assert snapshot(finished) == before


def test_overwrite_output_dir_starts_afresh(finished, corpus, cache, tmp_path):
    """--overwrite_output_dir in a folder with a run: the earlier checkpoints and logs go, the new run's stay."""
    output_dir = tmp_path / "out"
    shutil.copytree(finished, output_dir)
    run_ok(SCRIPT, arguments(corpus, cache, output_dir, "--max_steps", 3, "--overwrite_output_dir"))
    assert sorted(path.name for path in output_dir.glob("checkpoint-step-*")) == ["checkpoint-step-3"]
    assert [step for step, _ in train_losses(output_dir)] == [1, 2, 3]
    assert results(output_dir)["train_steps"] == 3


def test_train_tiny_is_run_pretraining_with_small_defaults(train_tiny, corpus, tmp_path):
    """The quick start's main job: given arguments replace the defaults, and it samples from the saved model."""
    train_tiny.hub(reachable=True)
    line = train_tiny.command_line(["--max_steps", "7", "--output_dir=elsewhere"])
    assert line[line.index("--max_steps") :][:2] == ["--max_steps", "7"] and line.count("--max_steps") == 1
    assert "--output_dir" not in line and "--overwrite_output_dir" in line
    assert "--overwrite_output_dir" not in train_tiny.command_line(["--resume_from_checkpoint", "latest"])
    assert "--new_vocab_merges" not in train_tiny.command_line(["--tokenizer_name", "folder"])
    extra = ["--max_steps", 3, "--new_vocab_merges", 100, "--cache_dir", tmp_path / "cache"]
    log = run_ok("train_tiny.py", ["--train_files", corpus, "--output_dir", tmp_path / "out", *extra])
    assert "'It was a dark and stormy night, and' ->" in log
    assert results(tmp_path / "out")["train_steps"] == 3


@pytest.fixture
def train_tiny(monkeypatch):
    """examples/train_tiny.py as a module, with the Hub made reachable or not by `hub(reachable)`."""
    train_tiny = load_script("examples/train_tiny.py")

    def hub(reachable: bool):
        def dataset_info(self, name, **kwargs):
            if not reachable:
                raise ConnectionError("no network")

        monkeypatch.setattr(huggingface_hub.HfApi, "dataset_info", dataset_info)

    train_tiny.hub = hub
    return train_tiny


def test_train_tiny_takes_wikitext_from_the_hub_else_the_workplace_corpus(train_tiny, tmp_path, monkeypatch):
    train_tiny.hub(reachable=True)
    line = train_tiny.command_line([])
    assert line[:4] == ["--dataset_name", "Salesforce/wikitext", "--dataset_config_name", "wikitext-2-raw-v1"]
    train_tiny.hub(reachable=False)
    clone = tmp_path / "clone"
    (tmp_path / "shared" / "data" / "corpus").mkdir(parents=True)
    clone.mkdir()
    monkeypatch.chdir(clone)
    with pytest.raises(SystemExit):
        train_tiny.command_line([])
    (tmp_path / "shared" / "data" / "corpus" / "combined_en.txt").write_text("Some text.\n", encoding="utf-8")
    assert train_tiny.command_line([])[:2] == ["--train_files", str(train_tiny.WORKPLACE_CORPUS)]
    assert "--dataset_name" not in train_tiny.command_line(["--train_files", "mine.txt"])


def test_train_tiny_offline_without_a_corpus_stops_in_one_line(tmp_path):
    """From a clone with no ../shared beside it and no network: one error line that names the three ways."""
    done = subprocess.run(
        [sys.executable, str(REPO / "examples" / "train_tiny.py")],
        cwd=tmp_path,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [done.stderr.strip()] and "train_tiny.py: error:" in done.stderr
    for way in ("--train_files", "--dataset_name", "Hugging Face Hub"):
        assert way in done.stderr
    assert not any(tmp_path.iterdir())


def write_hub_layout(corpus, folder, config_name="wikitext-2-raw-v1"):
    """`corpus` as a Hub dataset repo is laid out (WikiText's: a README declaring the config, a parquet file of
    lines per split)."""
    lines = [line + "\n" for line in corpus.read_text(encoding="utf-8").split("\n")]
    splits = {"train": lines[: len(lines) * 9 // 10], "validation": lines[len(lines) * 9 // 10 :]}
    readme = ["---", "configs:", f"- config_name: {config_name}", "  data_files:"]
    for split, rows in splits.items():
        datasets.Dataset.from_dict({"text": rows}).to_parquet(folder / config_name / f"{split}-00000-of-00001.parquet")
        readme += [f"  - split: {split}", f"    path: {config_name}/{split}-*"]
    (folder / "README.md").write_text("\n".join([*readme, "---", ""]), encoding="utf-8")
    return folder


def test_train_tiny_on_a_dataset_in_the_hub_layout(train_tiny, corpus, tmp_path):
    hub_folder = write_hub_layout(corpus, tmp_path / "wikitext")
    corpus_args = ["--dataset_name", hub_folder, "--dataset_config_name", "wikitext-2-raw-v1"]
    extra = ["--max_steps", 3, "--new_vocab_merges", 100, "--cache_dir", tmp_path / "cache", "--eval_steps", 3]
    log = run_ok("train_tiny.py", [*corpus_args, "--output_dir", tmp_path / "out", *extra])
    assert "'It was a dark and stormy night, and' ->" in log
    assert results(tmp_path / "out")["train_steps"] == 3


def test_a_checkpoint_of_another_config_is_refused(finished, corpus, cache, capsys):
    before = snapshot(finished)
    args = arguments(
        corpus, cache, finished, "--resume_from_checkpoint", "latest", overrides=TINY.replace("32,", "64,")
    )
    error = main_error(args, capsys)
    differences = "hidden_size 32 there, 64 here, intermediate_size 128 there, 256 here"
    assert f"checkpoint-step-12 was made with another model config ({differences})" in error
    error = main_error(
        [*arguments(corpus, cache, finished, "--resume_from_checkpoint", "latest"), "--seed", 1], capsys
    )
    assert "was made by a run with other settings (seed 0 there, 1 here)" in error
    assert snapshot(finished) == before


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--config_name", "gpt5"], "neither a preset (gpt1, gpt1-mini, gpt2, gpt2-medium, gpt2-large, gpt2-xl, gpt3"),
        (["--config_overrides", "n_layers=2"], "key n_layers isn't in the original config dict"),
        (
            ["--config_overrides", "n_layer=2,n_embd=30,n_head=4"],
            "num_attention_heads (4) must be positive and divide",
        ),
        (["--resume_from_checkpoint", "latest"], "no checkpoint-step-N folder"),
        (["--block_size", "64"], "exceeds the model's context (32)"),
        (["--per_device_train_batch_size", "0"], "--per_device_train_batch_size must be at least 1"),
    ],
)
def test_bad_settings_are_clear_errors(extra, expected, corpus, cache, tmp_path, capsys):
    output_dir = tmp_path / "out"
    error = main_error([*arguments(corpus, cache, output_dir), *extra], capsys)
    assert expected in error
    assert not output_dir.exists()


def test_the_default_batch_is_the_papers(corpus, cache, tmp_path, capsys):
    """Without --gradient_accumulation_steps the updates are of 64 windows; a batch that cannot make them is named."""
    args = arguments(corpus, cache, tmp_path / "out", "--per_device_train_batch_size", 24, accumulation=None)
    assert "do not divide the paper's 64 windows per update" in main_error(args, capsys)


def test_unigram_perplexity_of_a_uniform_stream_is_its_vocabulary_size():
    tokens = np.tile(np.arange(9), 10)  # each window of 9 predicts tokens 1..8 once
    starts = pretraining.validation_starts(len(tokens), 9, cap=None)
    assert pretraining.unigram_perplexity(tokens, starts, 9) == pytest.approx(8)


def test_validation_windows_are_contiguous_and_evenly_spaced():
    assert pretraining.validation_starts(1000, 10, cap=None).tolist() == list(range(0, 1000, 10))
    assert pretraining.validation_starts(1005, 10, cap=3).tolist() == [0, 500, 990]


def test_evaluation_shares_are_even_and_padding_counts_for_nothing():
    """Two processes over 5 windows run 3 batches each (the last window repeated for nothing), as one process
    would by itself: the mean loss is that of the 5 windows."""
    torch.manual_seed(0)
    model = GPT1LMHeadModel(GPT1Config(vocab_size=50, n_embd=16, n_layer=1, n_head=2, n_positions=8))
    tokens = np.random.default_rng(0).integers(0, 50, size=40)
    starts = pretraining.validation_starts(len(tokens), 8, cap=None)
    with torch.no_grad():
        windows = torch.from_numpy(np.stack([tokens[s : s + 8] for s in starts]))
        expected = model.eval()(windows, labels=windows).loss.item()

    class Process:  # what `evaluate` reads of an Accelerator, for process `index` of 2
        num_processes, device = 2, torch.device("cpu")

        def __init__(self, index):
            self.process_index = index

        def autocast(self):
            return contextlib.nullcontext()

        def reduce(self, tensor, reduction):
            return tensor

    shares = [pretraining.evaluate(model, tokens, starts, 8, 1, Process(index)) for index in (0, 1)]
    # each process's mean covers its own windows; weighted by their counts (3 and 2) they give the whole
    assert (3 * shares[0] + 2 * shares[1]) / 5 == pytest.approx(expected, abs=1e-6)


def test_zero_shot_tasks_are_checked_before_training(corpus, cache, tmp_path, capsys):
    """A bad task name, and a prompt the model cannot score, stop the run before anything is written."""
    output_dir = tmp_path / "out"
    error = main_error([*arguments(corpus, cache, output_dir), "--zero_shot_tasks", "qqp=glue/QQP"], capsys)
    assert "--zero_shot_tasks 'qqp=glue/QQP': not TASK=PATH with a task of cola, sst2" in error
    path = tmp_path / "wsc.jsonl"
    path.write_text(
        json.dumps({"id": "w1", "sentence": "Ann thanked _", "option1": "Ann", "option2": "Mary", "answer": 2})
    )
    error = main_error([*arguments(corpus, cache, output_dir), "--zero_shot_tasks", f"winograd={path}"], capsys)
    assert "--zero_shot_tasks winograd: Winograd example 'w1' has nothing after its blank to score" in error
    assert not output_dir.exists()
