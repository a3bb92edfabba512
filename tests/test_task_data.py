"""The fine-tuning data of modeling_gpt1.data.tasks: the real GLUE, Story Cloze and RACE files against their raw text,
user files in every format, the other tasks' original layouts on tiny files, and each bad input's message."""

import csv
import json
import logging
import re
import shutil

import datasets
import pytest
from shared_data import GLUE, RACE, STORY_CLOZE, require
from sklearn.model_selection import train_test_split

from modeling_gpt1.data.tasks import TASKS, DataError, load_glue, load_race, load_story_cloze
from modeling_gpt1.task_formats import TASKS as ENCODE_TASK_FORMATS

# task -> (folder, train rows, validation rows) of the real files in ../shared/data/glue
REAL_GLUE = {"cola": ("CoLA", 8551, 1043), "mrpc": ("MRPC", 3668, 408), "rte": ("RTE", 2490, 277)}
REAL_GLUE["stsb"] = ("STS-B", 5749, 1500)


def raises(*parts):
    """`pytest.raises(DataError)` whose message holds each of `parts` as written."""
    return pytest.raises(DataError, match="(?s)" + "".join(f"(?=.*{re.escape(str(part))})" for part in parts))


def write_tsv(path, rows):
    """Rows as a TSV file without quoting, as GLUE's files are; the folders are made."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join("\t".join(map(str, row)) + "\n" for row in rows), encoding="utf-8")
    return path


def write_csv(path, rows):
    """Rows as a quoted CSV file."""
    with open(path, "w", encoding="utf-8", newline="") as file:
        csv.writer(file).writerows(rows)
    return path


def write_user_file(path, header, rows):
    """Rows under `header` as csv, tsv, json (an array) or jsonl, by the file's suffix."""
    if path.suffix == ".csv":
        return write_csv(path, [header, *rows])
    if path.suffix == ".tsv":
        return write_tsv(path, [header, *rows])
    objects = [dict(zip(header, row, strict=True)) for row in rows]
    if path.suffix == ".json":
        path.write_text(json.dumps(objects), encoding="utf-8")
    else:
        path.write_text("".join(json.dumps(row) + "\n" for row in objects), encoding="utf-8")
    return path


def raw_tsv(path):
    """A GLUE file's lines split at tabs by the csv module, quotes taken as text."""
    with open(path, encoding="utf-8-sig", newline="") as file:
        return list(csv.reader(file, delimiter="\t", quoting=csv.QUOTE_NONE))


def real_glue(task):
    """The real task folder in ../shared/data/glue, or a skip."""
    return require(GLUE / REAL_GLUE[task][0])


def test_task_table():
    """Each task has one of encode_task's formats, labels in order (none for STS-B) and evaluation splits among
    its files' splits."""
    assert list(TASKS) == ["cola", "sst2", "mrpc", "stsb", "qqp", "mnli", "qnli", "rte", "wnli", "snli", "scitail"]
    formats = {name: task.format for name, task in TASKS.items()}
    assert {name for name, format in formats.items() if format == "classification"} == {"cola", "sst2"}
    assert {name for name, format in formats.items() if format == "similarity"} == {"mrpc", "stsb", "qqp"}
    assert set(formats.values()) <= set(ENCODE_TASK_FORMATS)
    assert TASKS["stsb"].labels is None
    assert TASKS["rte"].labels == ("entailment", "not_entailment")
    assert TASKS["mnli"].labels == ("entailment", "neutral", "contradiction")
    assert TASKS["mnli"].eval_splits == ("validation_matched", "validation_mismatched")
    for task in TASKS.values():
        assert set(task.eval_splits) <= {split for split, _ in task.files}
        assert (task.labels is None) == (task.score_range is not None)


@pytest.mark.parametrize("task", REAL_GLUE)
def test_real_glue_rows_and_labels(task):
    """The real files give the published row counts, labels from the task's set, unlabelled test rows and
    unique ids."""
    _, n_train, n_validation = REAL_GLUE[task]
    data = load_glue(task, real_glue(task))
    assert {split: len(rows) for split, rows in data.items() if split != "test"} == {
        "train": n_train,
        "validation": n_validation,
    }
    for split, rows in data.items():
        assert len(set(rows["id"])) == len(rows), split
        labels = set(rows["label"])
        if split == "test":
            assert labels == {-1}
        elif TASKS[task].labels is None:
            assert min(labels) >= 0 and max(labels) <= 5 and len(labels) > 50
        else:
            assert labels == {0, 1}
    assert ("text_pair" in data["train"].column_names) == (task != "cola")


@pytest.mark.parametrize("task", REAL_GLUE)
def test_real_glue_against_raw_lines(task):
    """Rows at the start, middle and end of the train and dev files are the raw lines' texts and labels (CoLA's
    files have no header, MRPC's begins with a byte-order mark, STS-B has stray quotes)."""
    folder = real_glue(task)
    data = load_glue(task, folder)
    for split, name in (("train", "train.tsv"), ("validation", "dev.tsv")):
        lines = raw_tsv(folder / name)
        header = [] if task == "cola" else lines.pop(0)
        for index in (0, len(lines) // 2, len(lines) - 1):
            line, row = lines[index], data[split][index]
            if task == "cola":
                assert (row["text"], row["label"]) == (line[3], int(line[1]))
            elif task == "mrpc":
                assert header[0] == "Quality"
                assert (row["text"], row["text_pair"], row["label"]) == (line[3], line[4], int(line[0]))
            elif task == "rte":
                expected = (line[0], line[1], line[2], TASKS["rte"].labels.index(line[3]))
                assert (row["id"], row["text"], row["text_pair"], row["label"]) == expected
            else:
                assert (row["id"], row["text"], row["text_pair"], row["label"]) == (
                    line[0],
                    *line[7:9],
                    float(line[9]),
                )
    assert any('"' in text for text in data["train"]["text"])


def test_data_dir_may_hold_the_task_folder():
    """`--data_dir glue` finds `glue/RTE`, as `--data_dir glue/RTE` does; task names may be spelt as GLUE does."""
    folder = real_glue("rte")
    assert load_glue("RTE", folder.parent)["validation"].to_dict() == load_glue("rte", folder)["validation"].to_dict()


@pytest.mark.parametrize("task", REAL_GLUE)
def test_original_files_as_user_files(task):
    """The original files named one by one give what their folder gives."""
    folder = real_glue(task)
    files = {
        "train_file": folder / "train.tsv",
        "validation_file": folder / "dev.tsv",
        "test_file": folder / "test.tsv",
    }
    by_file, by_folder = load_glue(task, **files), load_glue(task, folder)
    assert list(by_file) == list(by_folder)
    for split in by_folder:
        assert by_file[split].features == by_folder[split].features
        assert by_file[split].to_dict() == by_folder[split].to_dict()


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".json", ".jsonl"])
@pytest.mark.parametrize("task", REAL_GLUE)
def test_user_files_in_hub_columns(task, suffix, tmp_path):
    """Files with the Hub's columns (`idx`, `sentence1`, `sentence2`, `label` as an index or a score) made from the
    real rows give the same splits, in csv, tsv, json and jsonl."""
    reference = load_glue(task, real_glue(task))
    hub = TASKS[task].hub
    files = {}
    for split in ("train", "validation", "test"):
        rows = reference[split]
        columns = [rows["id"], rows["text"], *([rows["text_pair"]] if hub.text_pair else []), rows["label"]]
        header = ["idx", hub.text, *([hub.text_pair] if hub.text_pair else []), "label"]
        files[f"{split}_file"] = write_user_file(
            tmp_path / f"{split}{suffix}", header, list(zip(*columns, strict=True))
        )
    loaded = load_glue(task, **files)
    for split in reference:
        assert loaded[split].features == reference[split].features
        assert loaded[split].to_dict() == reference[split].to_dict()


def test_user_files_in_uniform_columns_with_label_names(tmp_path):
    """A file may use the uniform columns and give labels by name."""
    reference = load_glue("rte", real_glue("rte"))["validation"]
    names = TASKS["rte"].labels
    rows = [(row["id"], row["text"], row["text_pair"], names[row["label"]]) for row in reference]
    path = write_user_file(tmp_path / "dev.csv", ["id", "text", "text_pair", "label"], rows)
    assert load_glue("rte", validation_file=path)["validation"].to_dict() == reference.to_dict()


def test_glue_without_data_and_without_the_hub(monkeypatch):
    """Without a data folder or files the Hub is asked; where it cannot be reached the message says what to pass."""
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    with raises("nyu-mll/glue rte", "--data_dir", "--train_file"):
        load_glue("rte")


# the other tasks' original layouts, on tiny files: task -> {file: lines}, and the rows expected of each split
TINY_LAYOUTS = {
    "sst2": (
        {
            "SST-2/train.tsv": [["sentence", "label"], ['a "charming journey ', 1], ["dull", 0]],
            "SST-2/dev.tsv": [["sentence", "label"], ["fine", 1]],
            "SST-2/test.tsv": [["index", "sentence"], [0, "odd"]],
        },
        {
            "train": [("0", 'a "charming journey ', 1), ("1", "dull", 0)],
            "validation": [("0", "fine", 1)],
            "test": [("0", "odd", -1)],
        },
    ),
    "qqp": (
        {
            "QQP/train.tsv": [
                ["id", "qid1", "qid2", "question1", "question2", "is_duplicate"],
                [7, 1, 2, 'Why "so"?', "Why?", 1],
                [9, 3, 4, "How?", "When?", 0],
            ],
            "QQP/dev.tsv": [["id", "qid1", "qid2", "question1", "question2", "is_duplicate"], [5, 1, 2, "a", "b", 0]],
            "QQP/test.tsv": [["id", "question1", "question2"], [0, "c", "d"]],
        },
        {
            "train": [("7", 'Why "so"?', "Why?", 1), ("9", "How?", "When?", 0)],
            "validation": [("5", "a", "b", 0)],
            "test": [("0", "c", "d", -1)],
        },
    ),
    "qnli": (
        {
            "QNLI/train.tsv": [["index", "question", "sentence", "label"], [0, "Who?", "Me.", "entailment"]],
            "QNLI/dev.tsv": [["index", "question", "sentence", "label"], [0, "Where?", "No.", "not_entailment"]],
        },
        {"train": [("0", "Who?", "Me.", 0)], "validation": [("0", "Where?", "No.", 1)]},
    ),
    "wnli": (
        {
            "WNLI/train.tsv": [["index", "sentence1", "sentence2", "label"], [0, "It fell.", "The cup fell.", 1]],
            "WNLI/dev.tsv": [["index", "sentence1", "sentence2", "label"], [0, "He ran.", "She ran.", 0]],
            "WNLI/test.tsv": [["index", "sentence1", "sentence2"], [0, "x", "y"]],
        },
        {
            "train": [("0", "It fell.", "The cup fell.", 1)],
            "validation": [("0", "He ran.", "She ran.", 0)],
            "test": [("0", "x", "y", -1)],
        },
    ),
    "snli": (
        {
            "snli_1.0/snli_1.0_train.txt": [
                ["gold_label", "sentence1_binary_parse", "sentence1", "sentence2", "captionID", "pairID", "label1"],
                ["neutral", "( A )", 'A "man.', "A person.", "c1", "p1", "neutral"],
                ["-", "( B )", "No gold.", "Label.", "c2", "p2", "neutral"],
                ["contradiction", "( C )", "Cats.", "Dogs.", "c3", "p3", "contradiction"],
            ],
            "snli_1.0/snli_1.0_dev.txt": [
                ["gold_label", "sentence1", "sentence2", "pairID"],
                ["entailment", "Sun.", "Light.", "p4"],
            ],
            "snli_1.0/snli_1.0_test.txt": [
                ["gold_label", "sentence1", "sentence2", "pairID"],
                ["-", "Rain.", "Wet.", "p5"],
                ["entailment", "Snow.", "Cold.", "p6"],
            ],
        },
        {
            "train": [("p1", 'A "man.', "A person.", 1), ("p3", "Cats.", "Dogs.", 2)],
            "validation": [("p4", "Sun.", "Light.", 0)],
            "test": [("p6", "Snow.", "Cold.", 0)],
        },
    ),
    "scitail": (
        {
            "SciTailV1.1/tsv_format/scitail_1.0_train.tsv": [["Plants make food.", "Plants grow.", "entails"]],
            "SciTailV1.1/tsv_format/scitail_1.0_dev.tsv": [["Rocks are hard.", "Rocks melt.", "neutral"]],
            "SciTailV1.1/tsv_format/scitail_1.0_test.tsv": [["Ice is cold.", "Ice is water.", "neutral"]],
        },
        {
            "train": [("0", "Plants make food.", "Plants grow.", 0)],
            "validation": [("0", "Rocks are hard.", "Rocks melt.", 1)],
            "test": [("0", "Ice is cold.", "Ice is water.", 1)],
        },
    ),
}
MNLI_COLUMNS = ["index", "promptID", "pairID", "genre", "sentence1_parse", "sentence1", "sentence2"]


def mnli_files():
    """MNLI's layout: dev and test files matched and mismatched, labels in `gold_label` after `label1`."""
    labelled = [*MNLI_COLUMNS, "label1", "gold_label"]
    return {
        "MNLI/train.tsv": [labelled, [0, 1, "1n", "fiction", "( S )", "He 'said.", "He spoke.", "neutral", "neutral"]],
        "MNLI/dev_matched.tsv": [
            labelled,
            [3, 2, "2e", "fiction", "( S )", "Go.", "Went.", "entailment", "entailment"],
        ],
        "MNLI/dev_mismatched.tsv": [
            labelled,
            [4, 3, "3c", "letters", "( S )", "Up.", "Down.", "neutral", "contradiction"],
        ],
        "MNLI/test_matched.tsv": [MNLI_COLUMNS, [5, 4, "4", "fiction", "( S )", "Yes.", "No."]],
    }


TINY_LAYOUTS["mnli"] = (
    mnli_files(),
    {
        "train": [("0", "He 'said.", "He spoke.", 1)],
        "validation_matched": [("3", "Go.", "Went.", 0)],
        "validation_mismatched": [("4", "Up.", "Down.", 2)],
        "test_matched": [("5", "Yes.", "No.", -1)],
    },
)


@pytest.mark.parametrize("task", TINY_LAYOUTS)
def test_original_layouts_of_the_other_tasks(task, tmp_path, caplog):
    """SST-2, QQP, MNLI, QNLI, WNLI, SNLI and SciTail in their original layouts, from the folder holding the task's
    folder: ids, texts (stray quotes kept), labels; SNLI's rows without a gold label are dropped and counted."""
    files, expected = TINY_LAYOUTS[task]
    for name, lines in files.items():
        write_tsv(tmp_path / name, lines)
    with caplog.at_level(logging.INFO, logger="modeling_gpt1.data.tasks"):
        data = load_glue(task, tmp_path)
    assert list(data) == list(expected)
    for split, rows in expected.items():
        columns = ["id", "text", "label"] if task == "sst2" else ["id", "text", "text_pair", "label"]
        assert data[split].column_names == columns
        assert list(zip(*(data[split][column] for column in columns), strict=True)) == rows
    if task == "snli":
        assert "dropped 1 of 3 rows without a gold label" in caplog.text


def test_scitail_folder_itself(tmp_path):
    """SciTail's `tsv_format` folder is found whether data_dir is `SciTailV1.1` or `tsv_format` itself."""
    files, _ = TINY_LAYOUTS["scitail"]
    for name, lines in files.items():
        write_tsv(tmp_path / name, lines)
    inner = load_glue("scitail", tmp_path / "SciTailV1.1" / "tsv_format")
    assert inner["train"].to_dict() == load_glue("scitail", tmp_path / "SciTailV1.1")["train"].to_dict()


def test_hub_style_snli_file_drops_minus_one(tmp_path):
    """A file as the Hub gives SNLI (premise, hypothesis, label -1 where there is no gold label)."""
    rows = [{"premise": "A.", "hypothesis": "B.", "label": -1}, {"premise": "C.", "hypothesis": "D.", "label": 2}]
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    train = load_glue("snli", train_file=path)["train"]
    assert (train["id"], train["text"], train["label"]) == (["1"], ["C."], [2])


def story_cloze_dir():
    """The real spring-2016 validation file's folder, or a skip."""
    return require(STORY_CLOZE).parent


def test_story_cloze_original_split():
    """The 1,871 validation stories split 1,497 train / 374 validation as the original code did: disjoint, all of
    them, the same on every call, texts the four sentences joined by spaces."""
    data = load_story_cloze(story_cloze_dir())
    again = load_story_cloze(story_cloze_dir())
    assert {split: len(rows) for split, rows in data.items()} == {"train": 1497, "validation": 374}
    with open(STORY_CLOZE, encoding="utf-8", newline="") as file:
        stories = {row["InputStoryid"]: row for row in csv.DictReader(file)}
    assert len(stories) == 1871
    assert set(data["train"]["id"]).isdisjoint(data["validation"]["id"])
    assert set(data["train"]["id"]) | set(data["validation"]["id"]) == set(stories)
    assert data["train"]["id"] == again["train"]["id"] and data["validation"]["id"] == again["validation"]["id"]
    for row in (*data["train"].select(range(3)), *data["validation"].select(range(3))):
        raw = stories[row["id"]]
        assert row["text"] == " ".join(raw[f"InputSentence{i}"] for i in range(1, 5))
        assert row["choices"] == [raw["RandomFifthSentenceQuiz1"], raw["RandomFifthSentenceQuiz2"]]
        assert row["label"] == int(raw["AnswerRightEnding"]) - 1
    assert load_story_cloze(story_cloze_dir(), seed=1)["train"]["id"] != data["train"]["id"]
    # the original's call, on the stories in file order: train_test_split(..., test_size=374, random_state=seed)
    train_ids, validation_ids = train_test_split(list(stories), test_size=374, random_state=3535999445)
    assert data["train"]["id"] == train_ids and data["validation"]["id"] == validation_ids


STORY_HEADER = [
    "InputStoryid",
    *(f"InputSentence{i}" for i in range(1, 5)),
    "RandomFifthSentenceQuiz1",
    "RandomFifthSentenceQuiz2",
    "AnswerRightEnding",
]


def story(story_id, answer="1"):
    """One Story Cloze row."""
    return [story_id, "One.", "Two, too.", "Three.", "Four.", "Good end.", "Bad end.", answer]


def test_story_cloze_test_file_and_user_files(tmp_path):
    """The test file beside the validation file is read (without answers its labels are -1); files named for each
    split are taken as they are."""
    shutil.copy(story_cloze_dir() / STORY_CLOZE.name, tmp_path)
    write_csv(tmp_path / "cloze_test_test__spring2016 - cloze_test_ALL_test.csv", [STORY_HEADER, story("t1", "2")])
    test = load_story_cloze(tmp_path)["test"]
    assert test.to_list() == [
        {"id": "t1", "text": "One. Two, too. Three. Four.", "choices": ["Good end.", "Bad end."], "label": 1}
    ]
    train = write_csv(tmp_path / "train.csv", [STORY_HEADER, story("a"), story("b", "2")])
    unlabelled = write_csv(tmp_path / "test.csv", [STORY_HEADER[:-1], story("c")[:-1]])
    data = load_story_cloze(train_file=train, validation_file=train, test_file=unlabelled)
    assert data["train"]["label"] == data["validation"]["label"] == [0, 1]
    assert data["test"]["label"] == [-1]


def race_dev():
    """The real RACE dev folder, or a skip."""
    return require(RACE / "RACE" / "dev")


def test_race_dev_questions():
    """RACE's dev split: 4,887 questions, 1,436 middle and 3,451 high, each row one question of its article."""
    dev = load_race(validation_file=race_dev())["validation"]
    assert len(dev) == 4887
    assert dev["level"].count("middle") == 1436 and dev["level"].count("high") == 3451
    assert len(set(dev["id"])) == len(dev)
    assert len(load_race(validation_file=race_dev(), levels=("middle",))["validation"]) == 1436
    rows = {row["id"]: row for row in dev}
    for path in sorted((race_dev() / "high").glob("*.txt"))[:3]:
        article = json.loads(path.read_text(encoding="utf-8"))
        for index, question in enumerate(article["questions"]):
            row = rows[f"{article['id']}-{index}"]
            assert (row["text"], row["question"], row["level"]) == (article["article"], question, "high")
            assert row["choices"] == article["options"][index]
            assert row["label"] == "ABCD".index(article["answers"][index])


def test_race_train_is_read_whole():
    """All of RACE's train split is read (87,866 questions), `RACE/` itself as data_dir."""
    assert len(load_race(require(RACE / "RACE"))["train"]) == 87866


def test_race_files(tmp_path):
    """A split folder, json of the original articles and jsonl of Hub-style questions give the same rows."""
    paths = sorted((race_dev() / "middle").glob("*.txt"))[:5]
    folder = tmp_path / "dev" / "middle"
    folder.mkdir(parents=True)
    for path in paths:
        shutil.copy(path, folder)
    articles = [json.loads(path.read_text(encoding="utf-8")) for path in paths]
    original = tmp_path / "articles.json"
    original.write_text(json.dumps(articles), encoding="utf-8")
    hub = tmp_path / "questions.jsonl"
    lines = [
        {"example_id": a["id"], "article": a["article"], "question": q, "options": o, "answer": answer}
        for a in articles
        for q, o, answer in zip(a["questions"], a["options"], a["answers"], strict=True)
    ]
    hub.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    by_folder = load_race(train_file=tmp_path / "dev", levels="middle")["train"].to_list()
    assert load_race(train_file=original)["train"].to_list() == by_folder
    assert load_race(train_file=hub)["train"].to_list() == by_folder
    with raises(str(hub), "no questions at the levels high"):
        load_race(train_file=hub, levels=("high",))


def rte_rows():
    """A header and two RTE rows in the original layout."""
    return [["index", "sentence1", "sentence2", "label"], [0, "A.", "B.", "entailment"], [1, "C.", "D.", "entailment"]]


def test_missing_empty_and_header_only_files(tmp_path):
    """A missing file, an empty one and one with a header only are each named."""
    with raises(tmp_path / "nope.tsv", "does not exist"):
        load_glue("rte", train_file=tmp_path / "nope.tsv")
    (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    with raises(tmp_path / "empty.csv", "is empty"):
        load_glue("rte", train_file=tmp_path / "empty.csv")
    header = write_tsv(tmp_path / "header.tsv", rte_rows()[:1])
    with raises(header, "a header and no rows"):
        load_glue("rte", train_file=header)
    with raises(tmp_path / "data.xlsx", "unknown file type"):
        load_glue("rte", train_file=write_tsv(tmp_path / "data.xlsx", rte_rows()))


def test_data_dir_without_the_task_files(tmp_path):
    """A data folder without the task's train file says where it looked; a folder and files are not mixed."""
    with raises(tmp_path, "no train file of rte", tmp_path / "RTE" / "train.tsv"):
        load_glue("rte", tmp_path)
    with raises("either data_dir"):
        load_glue("rte", tmp_path, train_file=tmp_path / "train.tsv")


def test_file_lacking_the_task_columns(tmp_path):
    """A file without a column the task needs names the column, the names it goes by and the columns it has; a
    CoLA file whose first line names no text column is read as CoLA's original files, and the message says so."""
    path = write_csv(tmp_path / "train.csv", [["sentence1", "hypothesis", "label"], ["A.", "B.", "entailment"]])
    with raises(path, "text_pair column of rte", "sentence2", "sentence1, hypothesis, label"):
        load_glue("rte", train_file=path)
    unlabelled = write_csv(tmp_path / "dev.csv", [["sentence1", "sentence2"], ["A.", "B."]])
    with raises(unlabelled, "label column of rte"):
        load_glue("rte", validation_file=unlabelled)
    jsonl = tmp_path / "dev.jsonl"
    jsonl.write_text('{"text": "A.", "text_pair": "B.", "label": 0}\n{"text": "C.", "label": 1}\n', encoding="utf-8")
    with raises(jsonl, "line 2", "no column 'text_pair'"):
        load_glue("rte", validation_file=jsonl)
    tsv = write_tsv(tmp_path / "rte.tsv", rte_rows())
    with raises(tsv, "read as cola's original files, without a header", "line 1", "'sentence1'"):
        load_glue("cola", train_file=tsv)


def test_labels_outside_the_task_set(tmp_path):
    """A label outside the task's names and indices, a score outside STS-B's range and a missing label outside a
    test split name the file, the line, the column and the value."""
    rows = rte_rows()
    rows[2][3] = "maybe"
    path = write_tsv(tmp_path / "train.tsv", rows)
    with raises(path, "line 3", "column 'label'", "'maybe'", "entailment, not_entailment"):
        load_glue("rte", train_file=path)
    rows[2][3] = 2
    with raises(path, "line 3", "label 2"):
        load_glue("rte", train_file=write_tsv(path, rows))
    scores = [["sentence1", "sentence2", "score"], ["A.", "B.", "5.5"]]
    scores_path = write_tsv(tmp_path / "stsb.tsv", scores)
    with raises(scores_path, "line 2", "column 'score'", "'5.5'", "from 0.0 to 5.0"):
        load_glue("stsb", train_file=scores_path)
    rows[2][3] = ""
    with raises(path, "line 3", "no label", "only test splits"):
        load_glue("rte", validation_file=write_tsv(path, rows))
    assert load_glue("rte", test_file=path)["test"]["label"] == [0, -1]


def test_unknown_task():
    """An unknown task name lists the known ones."""
    with raises("unknown task 'glue'", "cola, sst2, mrpc, stsb, qqp, mnli, qnli, rte, wnli, snli, scitail"):
        load_glue("glue")


def test_malformed_rows(tmp_path):
    """A line with another number of fields than the header, a repeated id and bad JSON are named."""
    rows = rte_rows()
    rows[2] = [1, "C.", "D. \t extra", "entailment"]
    path = write_tsv(tmp_path / "train.tsv", rows)
    with raises(path, "line 3", "5 fields", "has 4"):
        load_glue("rte", train_file=path)
    rows[2] = [0, "C.", "D.", "entailment"]
    with raises(path, "line 3", "column 'index'", "id '0'", "line 2"):
        load_glue("rte", train_file=write_tsv(path, rows))
    jsonl = tmp_path / "train.jsonl"
    jsonl.write_text('{"text": "A.", "label": 1}\n{"text": \n', encoding="utf-8")
    with raises(jsonl, "line 2", "not valid JSON"):
        load_glue("cola", train_file=jsonl)


def test_bad_story_cloze_files(tmp_path):
    """An answer other than 1 or 2, missing columns, and too few stories to split off 374 are named."""
    bad = write_csv(tmp_path / "train.csv", [STORY_HEADER, story("a"), story("b", "3")])
    with raises(bad, "line 3", "column 'AnswerRightEnding'", "'3'", "not 1 or 2"):
        load_story_cloze(train_file=bad, validation_file=bad)
    lacking = write_csv(tmp_path / "val.csv", [STORY_HEADER[:5], story("a")[:5]])
    with raises(lacking, "RandomFifthSentenceQuiz1"):
        load_story_cloze(validation_file=lacking)
    small = write_csv(tmp_path / "small.csv", [STORY_HEADER, story("a")])
    with raises(small, "has 1 stories", "374"):
        load_story_cloze(validation_file=small)
    with raises("not on the Hub"):
        load_story_cloze()


def test_bad_race_questions(tmp_path):
    """A question with other than 4 options or an answer outside A-D names the file, the question and the column;
    so does an unknown level."""
    article = {"id": "high1.txt", "article": "Text.", "questions": ["Q0?", "Q1?"], "answers": ["A", "B"]}
    article["options"] = [["a", "b", "c", "d"], ["a", "b", "c"]]
    path = tmp_path / "train.json"
    path.write_text(json.dumps([article]), encoding="utf-8")
    with raises(path, "record 1", "question 1", "column 'options'", "list of 4 options"):
        load_race(train_file=path)
    article["options"][1].append("d")
    article["answers"][1] = "E"
    path.write_text(json.dumps([article]), encoding="utf-8")
    with raises(path, "question 1", "column 'answers'", "'E'", "A, B, C, D"):
        load_race(train_file=path)
    with raises("RACE's levels are middle and high", "college"):
        load_race(train_file=path, levels=("college",))
    with raises(tmp_path / "train", "does not exist", "not in RACE's original layout"):
        load_race(tmp_path)
