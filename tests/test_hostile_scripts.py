"""Hostile input to the scripts: each bad argument, path or file is one `<script>: error:` line naming the problem,
with exit status 2, raised before the script's first expensive step (encoding, loading weights, tokenizing the
corpus, learning a vocabulary, scoring, converting: each replaced here by a tripwire) and before anything is written;
whatever the output folder held is left as it was.

The scripts run in this process through their `main(argv)`, on files written here: a tiny GPT-1 LM with GPT-1's
released vocabulary (shipped in the package), a few RTE rows, Story Cloze stories, RACE articles, a small corpus.
"""

import csv
import json
import shutil

import pytest
import torch
from finetuning_runs import snapshot, write_earlier_outputs
from shared_data import load_script

from modeling_gpt1 import GPT1Config, GPT1LMHeadModel, GPT1Tokenizer, convert
from modeling_gpt1.data import pretraining as pretraining_data
from modeling_gpt1.training import pretraining

run_glue = load_script("examples/run_glue.py")
run_multiple_choice = load_script("examples/run_multiple_choice.py")
run_zero_shot = load_script("examples/run_zero_shot.py")
ablation = load_script("examples/ablation.py")

RTE_HEADER = ["index", "sentence1", "sentence2", "label"]
STORY_HEADER = [
    "InputStoryid",
    *(f"InputSentence{i}" for i in range(1, 5)),
    "RandomFifthSentenceQuiz1",
    "RandomFifthSentenceQuiz2",
    "AnswerRightEnding",
]
PARAGRAPH = "The quick brown fox jumps over the lazy dog. It was a dark and stormy night, and the rain fell."
# a tiny run: 8 training rows in 2 batches of 4, sequences of 32 tokens, one epoch
FINE_TUNING = ["--per_device_train_batch_size", 4, "--num_train_epochs", 1, "--max_seq_length", 32, "--seed", 0]
FINE_TUNING += ["--report_to", "none"]
PRETRAINING = ["--config_overrides", "n_layer=2,n_embd=32,n_head=2,n_positions=32", "--report_to", "none"]
PRETRAINING += ["--per_device_train_batch_size", 4, "--gradient_accumulation_steps", 1, "--max_steps", 2]


def save_lm(folder, width=32):
    """A tiny GPT-1 LM (2 layers, 128 positions) without the fine-tuning tokens, with GPT-1's released vocabulary."""
    tokenizer = GPT1Tokenizer()
    torch.manual_seed(0)
    config = GPT1Config(vocab_size=tokenizer.vocab_size, n_embd=width, n_layer=2, n_head=2, n_positions=128)
    GPT1LMHeadModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def lm(tmp_path_factory):
    return save_lm(tmp_path_factory.mktemp("lm"))


def write_tsv(path, header, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join("\t".join(row) + "\n" for row in [header, *rows]), encoding="utf-8")
    return path


def write_rte(folder, count=8):
    """RTE's folder (train.tsv, dev.tsv) of `count` rows each."""
    labels = ("entailment", "not_entailment")
    rows = [[str(i), f"A man walks {i} miles.", f"A man moves {i}.", labels[i % 2]] for i in range(count)]
    write_tsv(folder / "train.tsv", RTE_HEADER, rows)
    write_tsv(folder / "dev.tsv", RTE_HEADER, rows)
    return folder


def write_stories(path, count=8, endings=("He smiled.", "He flew away.")):
    """A Story Cloze CSV of `count` stories."""
    rows = [
        [f"story-{i}", "Tom woke.", "He ate.", "He ran.", "He slept.", *endings, str(i % 2 + 1)] for i in range(count)
    ]
    with open(path, "w", encoding="utf-8", newline="") as file:
        csv.writer(file).writerows([STORY_HEADER, *rows])
    return path


def write_race(folder, options=("a cat", "a dog", "a bird", "a fish")):
    """RACE's layout (train and dev, middle and high) of one article each, with `options` for its question."""
    for split in ("train", "dev"):
        for level in ("middle", "high"):
            article = {"id": f"{level}1.txt", "article": "Ann has a cat.", "questions": ["What has Ann?"]}
            article |= {"options": [list(options)], "answers": ["A"]}
            (folder / split / level).mkdir(parents=True, exist_ok=True)
            (folder / split / level / "1.txt").write_text(json.dumps(article), encoding="utf-8")
    return folder


def write_corpus(path, content=None):
    """A small corpus of paragraphs, or `content` (bytes)."""
    path.write_bytes(("\n\n".join([PARAGRAPH] * 40) + "\n").encode() if content is None else content)
    return path


@pytest.fixture(scope="module")
def glue_run(lm, tmp_path_factory):
    """An RTE run to its end (its `checkpoint-epoch-1` and outputs) and its command line."""
    data = write_rte(tmp_path_factory.mktemp("rte"))
    output_dir = tmp_path_factory.mktemp("rte_run")
    argv = ["--model_name_or_path", lm, "--task_name", "rte", "--data_dir", data, "--output_dir", output_dir]
    argv = [str(arg) for arg in [*argv, *FINE_TUNING]]
    run_glue.main(argv)
    assert (output_dir / "checkpoint-epoch-1" / "run.json").is_file() and (output_dir / "all_results.json").is_file()
    return output_dir, argv


def glue_args(lm, data, output_dir, *extra):
    return ["--model_name_or_path", lm, "--task_name", "rte", "--data_dir", data, "--output_dir", output_dir,
            *FINE_TUNING, *extra]  # fmt: skip


def story_args(lm, train, validation, output_dir, *extra):
    files = ["--train_file", train, "--validation_file", validation]
    return ["--model_name_or_path", lm, "--dataset", "story_cloze", *files, "--output_dir", output_dir,
            *FINE_TUNING, *extra]  # fmt: skip


def pretraining_args(corpus, tmp_path, output_dir, *extra):
    return ["--train_files", corpus, "--cache_dir", tmp_path / "cache", "--output_dir", output_dir, *PRETRAINING,
            *extra]  # fmt: skip


def fake_pretraining_checkpoint(output_dir, width=64):
    """A `checkpoint-step-4` as a run of another width would leave it (its config and settings files)."""
    folder = output_dir / "checkpoint-step-4"
    folder.mkdir(parents=True)
    config = GPT1Config(vocab_size=GPT1Tokenizer().vocab_size, n_layer=2, n_embd=width, n_head=2, n_positions=32)
    (folder / "config.json").write_text(config.to_json_string())
    settings = {"block_size": 32, "global_batch_size": 4, "seed": 42, "learning_rate": 2.5e-4, "warmup_steps": 2000}
    (folder / "run.json").write_text(json.dumps({**settings, "weight_decay": 0.01, "max_grad_norm": 1.0}))
    return output_dir


# Each case: (request, tmp_path) -> (script's main, argv, the parts its error line names, the output path watched).


def glue_resumed_with_another_seed(request, tmp_path):
    output_dir, argv = request.getfixturevalue("glue_run")
    return (
        run_glue.main,
        [*argv, "--seed", 1, "--resume_from_checkpoint", "latest"],
        ["checkpoint-epoch-1 was made by a run with other settings (seed 0 there, 1 here)"],
        output_dir,
    )


def glue_resumed_with_another_task(request, tmp_path):
    output_dir, argv = request.getfixturevalue("glue_run")
    argv = [*argv, "--resume_from_checkpoint", output_dir / "checkpoint-epoch-1"]
    argv[argv.index("rte")] = "wnli"  # the same layout and number of labels: only the task differs
    return run_glue.main, argv, ["other settings (task rte there, wnli here)"], output_dir


def glue_resumed_with_another_model(request, tmp_path):
    output_dir, argv = request.getfixturevalue("glue_run")
    wide = save_lm(tmp_path / "wide", width=48)
    argv = [*argv, "--resume_from_checkpoint", "latest"]
    argv[argv.index("--model_name_or_path") + 1] = wide
    return run_glue.main, argv, ["was made with another model config (", "hidden_size 32 there, 48 here"], output_dir


def glue_checkpoint_resumed_by_multiple_choice(request, tmp_path):
    output_dir, _ = request.getfixturevalue("glue_run")
    stories = write_stories(tmp_path / "stories.csv")
    checkpoint = output_dir / "checkpoint-epoch-1"
    argv = story_args(
        request.getfixturevalue("lm"), stories, stories, output_dir, "--resume_from_checkpoint", checkpoint
    )
    return (
        run_multiple_choice.main,
        argv,
        ["another model config (classifier_type pooled there, multiple_choice here)"],
        (output_dir),
    )


def glue_output_dir_is_a_file(request, tmp_path):
    output_dir = tmp_path / "out.txt"
    output_dir.write_text("mine")
    argv = glue_args(request.getfixturevalue("lm"), write_rte(tmp_path / "RTE"), output_dir)
    return run_glue.main, argv, [f"--output_dir {output_dir} is a file, not a folder"], output_dir


def glue_output_dir_under_a_file(request, tmp_path):
    (tmp_path / "out.txt").write_text("mine")
    output_dir = tmp_path / "out.txt" / "rte"
    argv = glue_args(request.getfixturevalue("lm"), write_rte(tmp_path / "RTE"), output_dir)
    return run_glue.main, argv, [f"{tmp_path / 'out.txt'} is a file, not a folder"], tmp_path / "out.txt"


def glue_output_dir_is_the_data_dir(request, tmp_path):
    data = write_rte(tmp_path / "RTE")
    argv = glue_args(request.getfixturevalue("lm"), data, data)
    return run_glue.main, argv, [f"--output_dir {data} is the --data_dir folder"], data


def multiple_choice_output_dir_is_the_model(request, tmp_path):
    model = save_lm(tmp_path / "lm")
    stories = write_stories(tmp_path / "stories.csv")
    argv = story_args(model, stories, stories, model)
    return run_multiple_choice.main, argv, [f"--output_dir {model} is the --model_name_or_path folder"], model


def glue_model_path_is_a_file(request, tmp_path):
    model = tmp_path / "model.safetensors"
    model.write_bytes(b"\0" * 16)
    argv = glue_args(model, write_rte(tmp_path / "RTE"), tmp_path / "out")
    return run_glue.main, argv, [f"--model_name_or_path {model} is a file"], tmp_path / "out"


def glue_model_that_is_not_there(request, tmp_path):
    argv = glue_args(tmp_path / "absent", write_rte(tmp_path / "RTE"), tmp_path / "out")
    return run_glue.main, argv, [f"--model_name_or_path {tmp_path / 'absent'}: no such folder"], tmp_path / "out"


def glue_sequences_longer_than_the_context(request, tmp_path):
    argv = glue_args(
        request.getfixturevalue("lm"), write_rte(tmp_path / "RTE"), tmp_path / "out", "--max_seq_length", 512
    )
    return run_glue.main, argv, ["--max_seq_length 512 exceeds the model's context (128)"], tmp_path / "out"


def glue_sequences_too_short_for_the_format(request, tmp_path):
    argv = glue_args(
        request.getfixturevalue("lm"), write_rte(tmp_path / "RTE"), tmp_path / "out", "--max_seq_length", 4
    )
    return (
        run_glue.main,
        argv,
        ["--max_seq_length 4: max_length=4 leaves no room for the task format"],
        (tmp_path / "out"),
    )


def glue_no_full_batch(request, tmp_path):
    argv = glue_args(
        request.getfixturevalue("lm"),
        write_rte(tmp_path / "RTE"),
        tmp_path / "out",
        "--per_device_train_batch_size",
        16,
    )
    return run_glue.main, argv, ["8 training examples make no full batch of 16"], tmp_path / "out"


def glue_data_dir_is_a_file(request, tmp_path):
    data = write_rte(tmp_path / "RTE") / "train.tsv"
    argv = glue_args(request.getfixturevalue("lm"), data, tmp_path / "out")
    return run_glue.main, argv, [f"{data} is a file, not a folder"], tmp_path / "out"


def glue_train_file_is_a_folder(request, tmp_path):
    data = write_rte(tmp_path / "RTE")
    argv = glue_args(request.getfixturevalue("lm"), data, write_earlier_outputs(tmp_path / "out"))
    argv[argv.index("--data_dir") : argv.index("--data_dir") + 2] = [
        "--train_file",
        data,
        "--validation_file",
        data / "dev.tsv",
    ]
    return run_glue.main, argv, [f"{data} is not a file"], tmp_path / "out"


def glue_truncated_file(request, tmp_path):
    data = write_rte(tmp_path / "RTE")
    text = (data / "train.tsv").read_text()
    (data / "train.tsv").write_text(text[: text.rindex("\t")])  # the last row lost its label
    argv = glue_args(request.getfixturevalue("lm"), data, tmp_path / "out")
    return (
        run_glue.main,
        argv,
        [f"{data / 'train.tsv'}, line 9: 3 fields where the first line has 4"],
        tmp_path / "out",
    )


def story_cloze_empty_file(request, tmp_path):
    empty = tmp_path / "train.csv"
    empty.write_text("")
    argv = story_args(request.getfixturevalue("lm"), empty, write_stories(tmp_path / "dev.csv"), tmp_path / "out")
    return run_multiple_choice.main, argv, [f"{empty} is empty"], tmp_path / "out"


def story_cloze_empty_ending(request, tmp_path):
    stories = write_stories(tmp_path / "train.csv", endings=("He smiled.", "  "))
    argv = story_args(request.getfixturevalue("lm"), stories, write_stories(tmp_path / "dev.csv"), tmp_path / "out")
    return (
        run_multiple_choice.main,
        argv,
        [f"{stories}, line 2, column 'RandomFifthSentenceQuiz2': the answer is empty ('  ')"],
        tmp_path / "out",
    )


def story_cloze_truncated_file(request, tmp_path):
    stories = write_stories(tmp_path / "train.csv")
    text = stories.read_text()
    stories.write_text(text[: text.rindex(",He smiled.")])  # the last story lost its endings and answer
    argv = story_args(request.getfixturevalue("lm"), stories, write_stories(tmp_path / "dev.csv"), tmp_path / "out")
    return (
        run_multiple_choice.main,
        argv,
        [f"{stories}, line 9: 5 fields where the first line has 8"],
        tmp_path / "out",
    )


def race_empty_option(request, tmp_path):
    data = write_race(tmp_path / "race", options=("a cat", "", "a bird", "a fish"))
    argv = story_args(request.getfixturevalue("lm"), data / "train", data / "dev", tmp_path / "out")
    argv[argv.index("story_cloze")] = "race"
    where = data / "train" / "middle" / "1.txt"
    return (
        run_multiple_choice.main,
        argv,
        [f"{where}, question 0, column 'options': option B is empty"],
        (tmp_path / "out"),
    )


def race_truncated_article(request, tmp_path):
    data = write_race(tmp_path / "race")
    article = data / "dev" / "high" / "1.txt"
    article.write_text(article.read_text()[:40])
    argv = story_args(request.getfixturevalue("lm"), data / "train", data / "dev", tmp_path / "out")
    argv[argv.index("story_cloze")] = "race"
    return run_multiple_choice.main, argv, [f"{article} is not a RACE article (JSON)"], tmp_path / "out"


def zero_shot_output_dir_is_a_file(request, tmp_path):
    output_dir = tmp_path / "results.json"
    output_dir.write_text("{}")
    argv = ["--model_name_or_path", request.getfixturevalue("lm"), "--task_name", "rte", "--output_dir", output_dir]
    argv += ["--data_dir", write_rte(tmp_path / "RTE")]
    return run_zero_shot.main, argv, [f"--output_dir {output_dir} is a file, not a folder"], output_dir


def zero_shot_output_dir_is_the_model(request, tmp_path):
    model = save_lm(tmp_path / "lm")
    argv = ["--model_name_or_path", model, "--task_name", "rte", "--output_dir", model]
    argv += ["--data_dir", write_rte(tmp_path / "RTE")]
    return run_zero_shot.main, argv, [f"--output_dir {model} is the --model_name_or_path folder"], model


def zero_shot_model_path_is_a_file(request, tmp_path):
    model = tmp_path / "config.json"
    model.write_text("{}")
    argv = ["--model_name_or_path", model, "--task_name", "rte", "--output_dir", tmp_path / "out"]
    argv += ["--data_dir", write_rte(tmp_path / "RTE")]
    return run_zero_shot.main, argv, [f"--model_name_or_path {model} is a file"], tmp_path / "out"


def zero_shot_validation_file_is_a_folder(request, tmp_path):
    data = write_rte(tmp_path / "RTE")
    argv = [
        "--model_name_or_path",
        request.getfixturevalue("lm"),
        "--task_name",
        "rte",
        "--output_dir",
        tmp_path / "out",
    ]
    return run_zero_shot.main, [*argv, "--validation_file", data], [f"{data} is not a file"], tmp_path / "out"


def zero_shot_empty_winograd_option(request, tmp_path):
    path = tmp_path / "wsc.jsonl"
    path.write_text(json.dumps({"sentence": "Ann thanked _ for it.", "option1": "Ann", "option2": "", "answer": 2}))
    argv = ["--model_name_or_path", request.getfixturevalue("lm"), "--task_name", "winograd"]
    argv += ["--validation_file", path, "--output_dir", tmp_path / "out"]
    return run_zero_shot.main, argv, [f"{path}, line 1, column 'option2': the answer is empty"], tmp_path / "out"


def pretraining_undecodable_corpus(request, tmp_path):
    corpus = write_corpus(tmp_path / "latin1.txt", ("Привет, мир. " * 200).encode("cp1251"))
    return (
        pretraining.main,
        pretraining_args(corpus, tmp_path, tmp_path / "out"),
        [
            # each of the 9 Cyrillic letters of the 13 characters is a byte that starts no UTF-8 character
            f"{corpus}: 69.2% of its characters (1,800 of 2,600) are undecodable bytes or NULs, more than the 10%"
        ],
        tmp_path / "out",
    )


def pretraining_utf16_corpus(request, tmp_path):
    corpus = write_corpus(tmp_path / "utf16.txt", (PARAGRAPH + "\n").encode("utf-16"))
    return (
        pretraining.main,
        pretraining_args(corpus, tmp_path, tmp_path / "out"),
        [f"{corpus}: 50.5% of its characters", "more than the 10%"],
        tmp_path / "out",
    )


def pretraining_undecodable_corpus_before_a_vocabulary(request, tmp_path):
    corpus = write_corpus(tmp_path / "binary.txt", bytes(range(128, 256)) * 50)
    argv = pretraining_args(corpus, tmp_path, tmp_path / "out", "--new_vocab_merges", 50)
    return pretraining.main, argv, [f"{corpus}: ", "are undecodable bytes or NULs"], tmp_path / "out"


def pretraining_output_dir_is_a_file(request, tmp_path):
    output_dir = tmp_path / "lm.txt"
    output_dir.write_text("mine")
    argv = pretraining_args(write_corpus(tmp_path / "corpus.txt"), tmp_path, output_dir)
    return pretraining.main, argv, [f"--output_dir {output_dir} is a file, not a folder"], output_dir


def pretraining_output_dir_is_the_tokenizer(request, tmp_path):
    tokenizer = tmp_path / "tokenizer"
    GPT1Tokenizer().save_pretrained(tokenizer)
    argv = pretraining_args(write_corpus(tmp_path / "corpus.txt"), tmp_path, tokenizer, "--tokenizer_name", tokenizer)
    return pretraining.main, argv, [f"--output_dir {tokenizer} is the --tokenizer_name folder"], tokenizer


def pretraining_train_file_is_a_folder(request, tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    write_corpus(folder / "a.txt")
    argv = pretraining_args(folder, tmp_path, tmp_path / "out")
    return pretraining.main, argv, [f"{folder} is a folder, not a file"], tmp_path / "out"


def pretraining_cache_dir_is_a_file(request, tmp_path):
    argv = pretraining_args(write_corpus(tmp_path / "corpus.txt"), tmp_path, tmp_path / "out")
    (tmp_path / "cache").write_text("mine")
    return (
        pretraining.main,
        argv,
        [f"--cache_dir {tmp_path / 'cache'}: {tmp_path / 'cache'} is a file"],
        tmp_path / "out",
    )


def pretraining_bad_config_before_tokenizing(request, tmp_path):
    argv = pretraining_args(write_corpus(tmp_path / "corpus.txt"), tmp_path, tmp_path / "out", "--config_name", "gpt5")
    return pretraining.main, argv, ["--config_name gpt5: neither a preset"], tmp_path / "out"


def pretraining_checkpoint_of_another_model(request, tmp_path):
    output_dir = fake_pretraining_checkpoint(tmp_path / "out")
    argv = pretraining_args(
        write_corpus(tmp_path / "corpus.txt"), tmp_path, output_dir, "--resume_from_checkpoint", "latest"
    )
    return (
        pretraining.main,
        argv,
        ["checkpoint-step-4 was made with another model config (hidden_size 64 there, 32 here"],
        output_dir,
    )


def pretraining_checkpoint_of_another_run(request, tmp_path):
    output_dir = fake_pretraining_checkpoint(tmp_path / "out", width=32)
    argv = pretraining_args(
        write_corpus(tmp_path / "corpus.txt"), tmp_path, output_dir, "--resume_from_checkpoint", "latest", "--seed", 7
    )
    return (
        pretraining.main,
        argv,
        ["checkpoint-step-4 was made by a run with other settings (seed 42 there, 7 here)"],
        (output_dir),
    )


def convert_into_its_source(request, tmp_path):
    source = save_lm(tmp_path / "lm")
    return convert.main, [source, source / "converted"], ["the source folder", "or inside it"], source


def convert_onto_its_source(request, tmp_path):
    source = save_lm(tmp_path / "lm")
    return convert.main, [source, source], [f"{source}: already exists and is not an empty folder"], source


def convert_under_a_file(request, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    return (
        convert.main,
        [save_lm(tmp_path / "lm"), tmp_path / "notes.txt" / "gpt1"],
        [f"{tmp_path / 'notes.txt'} is a file, not a folder"],
        tmp_path / "notes.txt",
    )


def ablation_without_a_tasks_data(request, tmp_path):
    corpus = write_corpus(tmp_path / "corpus.txt")
    argv = ["--data_dir", tmp_path / "data", "--train_files", corpus, "--output_dir", tmp_path / "out"]
    return ablation.main, [*argv, "--tasks", "rte"], ["--data_dir", "task rte", "does not exist"], tmp_path / "out"


CASES = [
    glue_resumed_with_another_seed,
    glue_resumed_with_another_task,
    glue_resumed_with_another_model,
    glue_checkpoint_resumed_by_multiple_choice,
    glue_output_dir_is_a_file,
    glue_output_dir_under_a_file,
    glue_output_dir_is_the_data_dir,
    multiple_choice_output_dir_is_the_model,
    glue_model_path_is_a_file,
    glue_model_that_is_not_there,
    glue_sequences_longer_than_the_context,
    glue_sequences_too_short_for_the_format,
    glue_no_full_batch,
    glue_data_dir_is_a_file,
    glue_train_file_is_a_folder,
    glue_truncated_file,
    story_cloze_empty_file,
    story_cloze_empty_ending,
    story_cloze_truncated_file,
    race_empty_option,
    race_truncated_article,
    zero_shot_output_dir_is_a_file,
    zero_shot_output_dir_is_the_model,
    zero_shot_model_path_is_a_file,
    zero_shot_validation_file_is_a_folder,
    zero_shot_empty_winograd_option,
    pretraining_undecodable_corpus,
    pretraining_utf16_corpus,
    pretraining_undecodable_corpus_before_a_vocabulary,
    pretraining_output_dir_is_a_file,
    pretraining_output_dir_is_the_tokenizer,
    pretraining_train_file_is_a_folder,
    pretraining_cache_dir_is_a_file,
    pretraining_bad_config_before_tokenizing,
    pretraining_checkpoint_of_another_model,
    pretraining_checkpoint_of_another_run,
    convert_into_its_source,
    convert_onto_its_source,
    convert_under_a_file,
    ablation_without_a_tasks_data,
]
SCRIPTS = {
    run_glue.main: "run_glue.py",
    run_multiple_choice.main: "run_multiple_choice.py",
    run_zero_shot.main: "run_zero_shot.py",
    pretraining.main: "run_pretraining.py",
    convert.main: "gpt1-convert",
    ablation.main: "ablation.py",
}


def tripwires(monkeypatch):
    """The scripts' expensive steps made to fail the test if a refusal comes after them."""

    def tripwire(*args, **kwargs):
        raise AssertionError("the script went past its checks into its work")

    for module in (run_glue, run_multiple_choice):
        monkeypatch.setattr(module, "build", tripwire)
        monkeypatch.setattr(module, "encode_split", tripwire)
    monkeypatch.setattr(run_zero_shot, "load_model", tripwire)
    monkeypatch.setattr(run_zero_shot, "evaluate_zero_shot", tripwire)
    monkeypatch.setattr(pretraining_data, "write_stream", tripwire)  # tokenizing the corpus
    monkeypatch.setattr(pretraining, "learn_vocabulary", tripwire)
    monkeypatch.setattr(pretraining, "build", tripwire)
    for layout in convert.LOADERS:  # reading the checkpoint
        monkeypatch.setitem(convert.LOADERS, layout, tripwire)
    monkeypatch.setattr(ablation, "pretrain", tripwire)


@pytest.mark.parametrize("case", CASES, ids=[case.__name__ for case in CASES])
def test_hostile_input_is_one_error_line_before_any_work(case, request, tmp_path, monkeypatch, capsys):
    main, argv, parts, watched = case(request, tmp_path)
    before = snapshot(watched) if watched.is_dir() else watched.read_bytes() if watched.exists() else None
    capsys.readouterr()
    tripwires(monkeypatch)
    with pytest.raises(SystemExit) as stopped:
        main([str(arg) for arg in argv])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    errors = [line for line in err.splitlines() if f"{SCRIPTS[main]}: error: " in line]
    assert len(errors) == 1 and err.strip().splitlines()[-1] == errors[0], err
    for part in parts:
        assert str(part) in errors[0], f"{part!r} not in {errors[0]!r}"
    after = snapshot(watched) if watched.is_dir() else watched.read_bytes() if watched.exists() else None
    assert after == before  # untouched, or still absent
    assert not (tmp_path / "cache").is_dir() or not list(
        (tmp_path / "cache").glob("*")
    )  # nothing tokenized or learned


def test_fine_tuning_checkpoints_hold_the_config_and_the_settings_a_resumed_run_checks(glue_run, capsys):
    """The checkpoint a fine-tuning run leaves names its model config and run settings; the same command resumed from
    it passes every check (and, the run being over, trains no further)."""
    output_dir, argv = glue_run
    checkpoint = output_dir / "checkpoint-epoch-1"
    settings = json.loads((checkpoint / "run.json").read_text())
    assert settings["task"] == "rte" and settings["seed"] == 0 and settings["train_examples"] == 8
    assert GPT1Config.from_pretrained(checkpoint).classifier_type == "pooled"
    results = json.loads((output_dir / "all_results.json").read_text())
    shutil.copytree(output_dir, output_dir.with_name("resumed"))
    resumed = output_dir.with_name("resumed")
    argv = [str(resumed) if arg == str(output_dir) else arg for arg in argv]
    run_glue.main([*argv, "--resume_from_checkpoint", "latest"])
    assert f"resumed from {resumed / 'checkpoint-epoch-1'}" in capsys.readouterr().out
    assert json.loads((resumed / "all_results.json").read_text()) == results


@pytest.mark.parametrize(("bad", "kept"), [(1, True), (10, True), (11, False)])
def test_a_file_may_hold_up_to_a_tenth_undecodable_bytes(bad, kept, tmp_path):
    """Up to `MAX_UNDECODABLE_SHARE` (10%) of the characters, the bytes are replaced and counted; beyond, refused."""
    path = write_corpus(tmp_path / "corpus.txt", b"\xff" * bad + b"a" * (100 - bad))
    if kept:
        assert pretraining_data.check_file(path) == bad
    else:
        with pytest.raises(ValueError, match=r"11\.0% of its characters \(11 of 100\)"):
            pretraining_data.check_file(path)
