"""The fine-tuning tasks' data, read into uniform `datasets.DatasetDict`s for the fine-tuning and zero-shot scripts.

GLUE, SNLI and SciTail (`load_glue`) come from a folder in the task's original layout (GLUE's download
script, SNLI's and SciTail's own releases), from the user's csv / tsv / json files, or from the Hub by name.
Each split has the columns `id` (str, unique), `text`, `text_pair` (not for single-text tasks) and `label`
(an index into the task's `labels`, the score for STS-B, -1 for unlabelled test rows).

Story Cloze (`load_story_cloze`) and RACE (`load_race`) are multiple choice: `id`, `text`, `choices`,
`label`, plus `question` and `level` for RACE. Story Cloze's train and validation splits are the original
code's split of the spring-2016 validation stories.

Bad input raises `DataError`, naming the file, the column and the row. Nothing here writes files: the
splits are built in memory, not through `datasets`' file loaders and their cache.
"""

import csv
import dataclasses
import io
import json
import logging
import math
import re
from pathlib import Path

import datasets
import pyarrow as pa
from sklearn.model_selection import train_test_split

logger = logging.getLogger(__name__)


class DataError(ValueError):
    """A data file or task name that cannot be used, with the file, column and row that say why."""


@dataclasses.dataclass(frozen=True)
class Columns:
    """Where one layout keeps a task's fields: column names, or positions in files without a header."""

    text: str | int
    text_pair: str | int | None = None
    label: str | int = "label"


@dataclasses.dataclass(frozen=True)
class Task:
    """A sentence (pair) task: its input format, labels, and where its data is."""

    name: str
    # a format of `GPT1Tokenizer.encode_task`: classification, entailment or similarity
    format: str
    # label names, in the order of the label indices; None for a regression (STS-B)
    labels: tuple[str, ...] | None
    eval_splits: tuple[str, ...]
    # the original layout: the task's folder (`RTE`, `snli_1.0`) and the file of each split in it
    folder: str
    files: tuple[tuple[str, str], ...]
    original: Columns
    hub: Columns
    hub_path: str
    hub_config: str | None
    # label values of rows without a gold label, which are dropped (SNLI's annotators did not agree)
    unlabelled: tuple[str | int, ...] = ()
    # the range of the scores of a regression
    score_range: tuple[float, float] | None = None


GLUE_FILES = (("train", "train.tsv"), ("validation", "dev.tsv"), ("test", "test.tsv"))
PAIR = Columns("sentence1", "sentence2")
NLI_LABELS = ("entailment", "neutral", "contradiction")


def glue_task(name, format, labels, folder, original, hub, **fields) -> Task:
    """A task laid out as GLUE's are, by default a GLUE task (`nyu-mll/glue` on the Hub, TSV files of GLUE's
    download script)."""
    defaults = {"eval_splits": ("validation",), "files": GLUE_FILES, "hub_path": "nyu-mll/glue", "hub_config": name}
    return Task(name, format, labels, folder=folder, original=original, hub=hub, **{**defaults, **fields})


TASKS = {
    task.name: task
    for task in (
        # CoLA's train and dev files have no header: source, label, original label mark, sentence
        glue_task(
            "cola", "classification", ("unacceptable", "acceptable"), "CoLA",
            original=Columns(text=3, label=1), hub=Columns("sentence"),
        ),
        glue_task(
            "sst2", "classification", ("negative", "positive"), "SST-2",
            original=Columns("sentence"), hub=Columns("sentence"),
        ),
        glue_task(
            "mrpc", "similarity", ("not_equivalent", "equivalent"), "MRPC",
            original=Columns("#1 String", "#2 String", "Quality"), hub=PAIR,
        ),
        glue_task(
            "stsb", "similarity", None, "STS-B",
            original=Columns("sentence1", "sentence2", "score"), hub=PAIR, score_range=(0.0, 5.0),
        ),
        glue_task(
            "qqp", "similarity", ("not_duplicate", "duplicate"), "QQP",
            original=Columns("question1", "question2", "is_duplicate"), hub=Columns("question1", "question2"),
        ),
        glue_task(
            "mnli", "entailment", NLI_LABELS, "MNLI",
            original=Columns("sentence1", "sentence2", "gold_label"), hub=Columns("premise", "hypothesis"),
            eval_splits=("validation_matched", "validation_mismatched"),
            files=(
                ("train", "train.tsv"),
                ("validation_matched", "dev_matched.tsv"),
                ("validation_mismatched", "dev_mismatched.tsv"),
                ("test_matched", "test_matched.tsv"),
                ("test_mismatched", "test_mismatched.tsv"),
            ),
        ),
        glue_task(
            "qnli", "entailment", ("entailment", "not_entailment"), "QNLI",
            original=Columns("question", "sentence"), hub=Columns("question", "sentence"),
        ),
        glue_task(
            "rte", "entailment", ("entailment", "not_entailment"), "RTE",
            original=PAIR, hub=PAIR,
        ),
        # WNLI's files give the labels as 0/1, in this order
        glue_task(
            "wnli", "entailment", ("not_entailment", "entailment"), "WNLI",
            original=PAIR, hub=PAIR,
        ),
        glue_task(
            "snli", "entailment", NLI_LABELS, "snli_1.0",
            original=Columns("sentence1", "sentence2", "gold_label"), hub=Columns("premise", "hypothesis"),
            hub_path="stanfordnlp/snli", hub_config=None, unlabelled=("-", -1, "-1"),
            files=(
                ("train", "snli_1.0_train.txt"),
                ("validation", "snli_1.0_dev.txt"),
                ("test", "snli_1.0_test.txt"),
            ),
        ),
        # SciTail's TSV files have no header: premise, hypothesis, label
        glue_task(
            "scitail", "entailment", ("entails", "neutral"), "SciTailV1.1",
            original=Columns(0, 1, 2), hub=Columns("premise", "hypothesis"),
            hub_path="allenai/scitail", hub_config="tsv_format",
            files=(
                ("train", "tsv_format/scitail_1.0_train.tsv"),
                ("validation", "tsv_format/scitail_1.0_dev.tsv"),
                ("test", "tsv_format/scitail_1.0_test.tsv"),
            ),
        ),
    )
}  # fmt: skip
# the id columns of the layouts, in order of preference; rows without one are numbered
ID_COLUMNS = ("id", "idx", "index", "pairID")


def get_task(name: str) -> Task:
    """The task of that name, as GLUE spells it or not (`RTE`, `sts-b`, `SST-2`)."""
    task = TASKS.get(name.lower().replace("-", ""))
    if task is None:
        raise DataError(f"unknown task {name!r}; the tasks are {', '.join(TASKS)}")
    return task


def load_glue(task, data_dir=None, train_file=None, validation_file=None, test_file=None) -> datasets.DatasetDict:
    """The splits of a GLUE, SNLI or SciTail task, from `data_dir` in the original layout, from the given files,
    or from the Hub where neither is given.

    `data_dir` is the task's folder (`glue/RTE`, `snli_1.0`, `SciTailV1.1`) or the folder holding it; its train
    and evaluation files must be there, its test files are read where present. Files are csv, tsv (read without
    quoting, as GLUE's files need) or json / jsonl, with the columns of the original layout, of the Hub, or
    `text`, `text_pair` and `label`; labels are given by name or by index.
    """
    task = get_task(task)
    files = given_files(data_dir, train=train_file, validation=validation_file, test=test_file)
    if not files and data_dir is None:
        return load_glue_from_hub(task)
    if not files:
        files = original_glue_files(task, Path(data_dir))
    return datasets.DatasetDict(
        {split: glue_split(task, split, glue_table(task, path)) for split, path in files.items()}
    )


def given_files(data_dir, **files) -> dict[str, Path]:
    """The files the user named, by split; a folder of the original layout and files are not mixed."""
    files = {split: Path(path) for split, path in files.items() if path is not None}
    if data_dir is not None and files:
        raise DataError(f"pass either data_dir ({data_dir}) or data files ({', '.join(map(str, files.values()))})")
    if data_dir is not None and not Path(data_dir).is_dir():
        problem = "is a file, not a folder" if Path(data_dir).exists() else "does not exist"
        raise DataError(f"{data_dir} {problem}: data_dir is the folder of the task's files in their original layout")
    return files


def original_glue_files(task: Task, data_dir: Path) -> dict[str, Path]:
    """The task's files in `data_dir` or in its task folder there; all but the test files are needed."""
    files = {}
    for split, name in task.files:
        candidates = dict.fromkeys([data_dir / name, data_dir / task.folder / name, data_dir / Path(name).name])
        found = [path for path in candidates if path.is_file()]
        if found:
            files[split] = found[0]
        elif not split.startswith("test"):
            looked = ", ".join(map(str, candidates))
            raise DataError(f"{data_dir} has no {split} file of {task.name}: looked for {looked}")
    return files


def load_glue_from_hub(task: Task) -> datasets.DatasetDict:
    """The task from the Hub (`nyu-mll/glue` and its configs, `stanfordnlp/snli`, `allenai/scitail`)."""
    try:
        hub = datasets.load_dataset(task.hub_path, task.hub_config)
    except OSError as error:  # datasets' ConnectionError and DatasetNotFoundError are both OSErrors
        name = " ".join(filter(None, (task.hub_path, task.hub_config)))
        raise DataError(
            f"could not load {task.name} from the Hub ({name}): {error}. Pass --data_dir with the task's original "
            "files, or --train_file/--validation_file/--test_file"
        ) from error
    splits = {}
    for split, rows in hub.items():
        columns = rows.to_dict()
        numbered = list(enumerate(zip(*columns.values(), strict=True)))
        splits[split] = glue_split(task, split, Table(f"{task.hub_path} {split}", "row", list(columns), numbered))
    return datasets.DatasetDict(splits)


# the value of a column that a JSON object lacks
ABSENT = object()


@dataclasses.dataclass(frozen=True)
class Table:
    """A data file's rows as lists of values under its columns: names, or positions in a file without a header.
    Lists, not an object per row: MNLI's train file has 393k rows of 12 columns."""

    source: str  # the file, or the Hub dataset and split
    unit: str  # what the rows' numbers count: line, record or row
    columns: list
    rows: list  # (number, values), ABSENT where a JSON object lacks a column
    positional: bool = False

    def where(self, number: int) -> str:
        """A row's place, for messages."""
        return f"{self.source}, {self.unit} {number}"

    def get(self, number: int, values, index: int):
        """A row's value in the column at `index`."""
        if values[index] is ABSENT:
            raise DataError(f"{self.where(number)}: no column {self.columns[index]!r}")
        return values[index]

    def text(self, number: int, values, index: int) -> str:
        """A row's text in the column at `index`, which must be a string."""
        value = self.get(number, values, index)
        if not isinstance(value, str):
            raise DataError(f"{self.where(number)}, column {self.columns[index]!r}: {value!r} is not a text")
        return value

    def records(self) -> list[tuple[str, dict]]:
        """The rows as objects keyed by column, each with its place, for the small multiple-choice files."""
        return [
            (self.where(number), {c: v for c, v in zip(self.columns, values, strict=True) if v is not ABSENT})
            for number, values in self.rows
        ]


def read_rows(path: Path) -> tuple[list, str]:
    """The rows of a csv, tsv / txt or json / jsonl file, each with its line (or record) number, and what the
    numbers count. csv rows are lists of fields, tsv rows are split at tabs with quotes taken as text (GLUE's
    STS-B and MNLI have stray quotes), json rows are objects."""
    if not path.is_file():
        raise DataError(f"{path} does not exist" if not path.exists() else f"{path} is not a file")
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".tsv", ".txt", ".json", ".jsonl"):
        raise DataError(f"{path}: unknown file type {suffix!r}; data files are csv, tsv, json or jsonl")
    try:
        # bytes, not `read_text`: its newline translation would end lines at a carriage return inside a text
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DataError(f"{path} is not UTF-8 text: {error}") from error
    if suffix == ".csv":
        reader = csv.reader(io.StringIO(text, newline=""))
        return [(reader.line_num, row) for row in reader if row], "line"
    if suffix in (".tsv", ".txt"):
        # only "\n" ends a line (CRLF files have a "\r" before it)
        lines = enumerate(text.split("\n"), 1)
        return [(number, line.removesuffix("\r").split("\t")) for number, line in lines if line.strip("\r")], "line"
    return json_rows(path, text)


def json_rows(path: Path, text: str) -> tuple[list, str]:
    """The objects of a JSON array or of a JSON-lines file, with their numbers."""
    if text.lstrip().startswith("["):
        try:
            rows, unit = list(enumerate(json.loads(text), 1)), "record"
        except json.JSONDecodeError as error:
            raise DataError(f"{path} is not valid JSON: {error}") from error
    else:
        rows, unit = [], "line"
        for number, line in enumerate(text.split("\n"), 1):
            if line.strip():
                try:
                    rows.append((number, json.loads(line)))
                except json.JSONDecodeError as error:
                    raise DataError(f"{path}, line {number} is not valid JSON: {error}") from error
    for number, row in rows:
        if not isinstance(row, dict):
            raise DataError(f"{path}, {unit} {number}: a {type(row).__name__}, not a JSON object of columns")
    return rows, unit


def read_table(path: Path, has_header=lambda first_row: True) -> Table:
    """A data file as a table; a csv / tsv file's first line is its header where `has_header` says so."""
    rows, unit = read_rows(path)
    if not rows:
        raise DataError(f"{path} is empty")
    if isinstance(rows[0][1], dict):
        columns = list(dict.fromkeys(column for _, row in rows for column in row))
        rows = [(number, [row.get(column, ABSENT) for column in columns]) for number, row in rows]
        return Table(str(path), unit, columns, rows)
    first = rows[0][1]
    positional = not has_header(first)
    columns = list(range(len(first))) if positional else first
    rows = rows if positional else rows[1:]
    if not rows:
        raise DataError(f"{path} has a header and no rows")
    for number, row in rows:
        if len(row) != len(columns):
            raise DataError(f"{path}, line {number}: {len(row)} fields where the first line has {len(columns)}")
    return Table(str(path), unit, columns, rows, positional)


def glue_table(task: Task, path: Path) -> Table:
    """A task's file as a table; the original files without a header (CoLA's train and dev, SciTail's) are told
    by a first line naming no text column."""
    names = set(column_names(task, "text"))
    positional = isinstance(task.original.text, int)
    table = read_table(path, lambda first_row: not positional or bool(names & set(first_row)))
    if not table.positional:
        return table
    # say so in messages: a file meant to have a header whose first line names no text column lands here
    return dataclasses.replace(table, source=f"{path} (read as {task.name}'s original files, without a header)")


def column_names(task: Task, field: str) -> list:
    """The names a field's column goes by: the uniform one, the Hub's, the original layout's."""
    names = (field, getattr(task.hub, field), getattr(task.original, field))
    return list(dict.fromkeys(name for name in names if isinstance(name, str)))


def find_column(task: Task, table: Table, field: str, required: bool) -> int | None:
    """The index of the column holding `field`: by name, or by its position in the original layout."""
    if table.positional:
        position = getattr(task.original, field)
        if position >= len(table.columns):
            raise DataError(
                f"{table.source}: no column {position} ({field} in {task.name}'s original layout); its lines have "
                f"{len(table.columns)} fields"
            )
        return position
    found = [name for name in column_names(task, field) if name in table.columns]
    if found:
        return table.columns.index(found[0])
    if required:
        raise DataError(
            f"{table.source} lacks the {field} column of {task.name} (one of {', '.join(column_names(task, field))}); "
            f"its columns are {', '.join(map(str, table.columns))}"
        )
    return None


def glue_split(task: Task, split: str, table: Table) -> datasets.Dataset:
    """One split in the uniform columns; ids are checked unique, rows without a gold label dropped where the
    task has such rows (SNLI)."""
    is_test = split.startswith("test")
    fields = {"text": find_column(task, table, "text", True)}
    if task.format != "classification":
        fields["text_pair"] = find_column(task, table, "text_pair", True)
    label = find_column(task, table, "label", not is_test)
    id_index = next((table.columns.index(name) for name in ID_COLUMNS if name in table.columns), None)

    examples = {"id": [], **{field: [] for field in fields}, "label": []}
    seen, dropped = {}, 0
    for position, (number, values) in enumerate(table.rows):
        value = None if label is None else table.get(number, values, label)
        if value in task.unlabelled:
            dropped += 1
            continue
        row_id = str(position) if id_index is None else str(table.get(number, values, id_index))
        if row_id in seen:
            where = f"{table.where(number)}, column {table.columns[id_index]!r}"
            raise DataError(f"{where}: id {row_id!r} is also on {table.unit} {seen[row_id]}")
        seen[row_id] = number
        examples["id"].append(row_id)
        for field, index in fields.items():
            examples[field].append(table.text(number, values, index))
        try:
            examples["label"].append(parse_label(task, is_test, value))
        except DataError as error:
            raise DataError(f"{table.where(number)}, column {table.columns[label]!r}: {error}") from None
    if dropped:
        logger.info("%s: dropped %d of %d rows without a gold label", table.source, dropped, len(table.rows))
    return in_memory(examples, glue_features(task))


def cell(record: dict, column, where: str):
    """A record's value in a column, which it may lack."""
    if column not in record:
        raise DataError(f"{where}: no column {column!r}")
    return record[column]


def text_cell(record: dict, column, where: str) -> str:
    """A record's text in a column, which must be a string."""
    value = cell(record, column, where)
    if not isinstance(value, str):
        raise DataError(f"{where}, column {column!r}: {value!r} is not a text")
    return value


def choice_cell(record: dict, column, where: str) -> str:
    """A record's answer in a column, which must be a text that is not empty: an empty answer would be scored by its
    delimiter and `_classify_` alone."""
    value = text_cell(record, column, where)
    if not value.strip():
        raise DataError(f"{where}, column {column!r}: the answer is empty ({value!r}); every choice needs a text")
    return value


def parse_label(task: Task, is_test: bool, value):
    """A label's index or a regression's score; -1 for a row without a label, which only test splits may have."""
    label = label_or_none(task, value)
    if label is not None:
        return label
    if not is_test:
        raise DataError(f"no label ({value!r}); only test splits may have unlabelled rows")
    return -1


def label_or_none(task: Task, value):
    """A label given as its name or as its index (the Hub's way, and GLUE's 0/1 files'), or a score; None for the
    marks of a missing label: nothing, an empty field, -1 (the Hub's)."""
    if value is None or value == "":
        return None
    if task.labels is None:
        try:
            score = float(value)
        except (TypeError, ValueError):
            score = math.nan
        low, high = task.score_range
        if score == -1 or low <= score <= high:
            return None if score == -1 else score
        raise DataError(f"label {value!r} is not a score from {low} to {high}")
    if isinstance(value, str):
        value = value.strip()
        if value in task.labels:
            return task.labels.index(value)
        value = int(value) if re.fullmatch(r"-?[0-9]+", value) else value
    if value == -1:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(task.labels):
        return value
    names = ", ".join(task.labels)
    raise DataError(f"label {value!r} is not one of {names} (or their indices 0-{len(task.labels) - 1})")


def in_memory(columns: dict[str, list], features: datasets.Features) -> datasets.Dataset:
    """A split from lists of values already checked, through Arrow arrays: `from_dict` on plain lists encodes
    value by value, which took seconds for RACE's train split."""
    arrays = {name: pa.array(values, type=features[name].pa_type) for name, values in columns.items()}
    return datasets.Dataset.from_dict(arrays, features=features)


def rows_in_memory(rows: list[dict], features: datasets.Features) -> datasets.Dataset:
    """A split from rows of values already checked."""
    return in_memory({name: [row[name] for row in rows] for name in features}, features)


def glue_features(task: Task) -> datasets.Features:
    """The uniform columns' types: labels as a `ClassLabel` of the task's names, STS-B's scores as floats."""
    string = datasets.Value("string")
    label = datasets.Value("float64") if task.labels is None else datasets.ClassLabel(names=list(task.labels))
    pair = {} if task.format == "classification" else {"text_pair": string}
    return datasets.Features({"id": string, "text": string, **pair, "label": label})


STORY_CLOZE_FILES = {
    "validation": "cloze_test_val__spring2016 - cloze_test_ALL_val.csv",
    "test": "cloze_test_test__spring2016 - cloze_test_ALL_test.csv",
}
STORY_SENTENCES = ("InputSentence1", "InputSentence2", "InputSentence3", "InputSentence4")
STORY_ENDINGS = ("RandomFifthSentenceQuiz1", "RandomFifthSentenceQuiz2")
# the original code's split of the 1,871 validation stories: 1,497 train, 374 validation
STORY_VALIDATION_SIZE = 374
ORIGINAL_SEED = 3535999445
MULTIPLE_CHOICE_FEATURES = {
    "id": datasets.Value("string"),
    "text": datasets.Value("string"),
    "choices": datasets.Sequence(datasets.Value("string")),  # datasets 4 makes it a List; 3 has no List
    "label": datasets.Value("int64"),
}


def load_story_cloze(
    data_dir=None, train_file=None, validation_file=None, test_file=None, seed=ORIGINAL_SEED
) -> datasets.DatasetDict:
    """Story Cloze's splits from the spring-2016 CSVs in `data_dir` or from the given files (csv or json with
    the same columns).

    Without a train file, the validation stories are split into train and validation as the original code did
    (`train_test_split` keeping 374 for validation, `seed` its random state): 1,497 / 374 of the 1,871 stories.
    """
    files = given_files(data_dir, train=train_file, validation=validation_file, test=test_file)
    if not files and data_dir is None:
        raise DataError("Story Cloze is not on the Hub: pass --data_dir with its spring-2016 CSVs, or data files")
    if not files:
        files = {split: Path(data_dir) / name for split, name in STORY_CLOZE_FILES.items()}
        if not files["test"].is_file():
            del files["test"]
    splits = {split: story_cloze_rows(path, split == "test") for split, path in files.items()}
    if "train" not in splits and "validation" in splits:
        splits["train"], splits["validation"] = original_story_split(files["validation"], splits["validation"], seed)
    features = datasets.Features(MULTIPLE_CHOICE_FEATURES)
    return datasets.DatasetDict(
        {
            split: rows_in_memory(splits[split], features)
            for split in ("train", "validation", "test")
            if split in splits
        }
    )


def story_cloze_rows(path: Path, is_test: bool) -> list[dict]:
    """A Story Cloze file's stories: the four sentences joined by spaces as the original did, the two endings,
    and which is right (optional in a test file)."""
    table = read_table(path)
    answer = "AnswerRightEnding"
    needed = ("InputStoryid", *STORY_SENTENCES, *STORY_ENDINGS, *(() if is_test else (answer,)))
    missing = [column for column in needed if column not in table.columns]
    if missing:
        raise DataError(f"{path} lacks the Story Cloze columns {', '.join(missing)}")
    stories = []
    for where, row in table.records():
        value = row.get(answer) if is_test else cell(row, answer, where)
        if value in (None, "") and is_test:
            label = -1
        elif str(value).strip() in ("1", "2"):
            label = int(value) - 1
        else:
            raise DataError(f"{where}, column {answer!r}: {value!r} is not 1 or 2")
        stories.append(
            {
                "id": str(cell(row, "InputStoryid", where)),
                "text": " ".join(text_cell(row, column, where) for column in STORY_SENTENCES),
                "choices": [choice_cell(row, column, where) for column in STORY_ENDINGS],
                "label": label,
            }
        )
    return stories


def original_story_split(path: Path, stories: list, seed: int) -> tuple[list, list]:
    """The original code's train / validation split of the validation stories."""
    if len(stories) <= STORY_VALIDATION_SIZE:
        raise DataError(
            f"{path} has {len(stories)} stories; splitting off {STORY_VALIDATION_SIZE} for validation needs more "
            "(or pass a train file)"
        )
    train, validation = train_test_split(stories, test_size=STORY_VALIDATION_SIZE, random_state=seed)
    return train, validation


RACE_SPLITS = {"train": "train", "validation": "dev", "test": "test"}
RACE_LEVELS = ("middle", "high")
RACE_ANSWERS = ("A", "B", "C", "D")


def load_race(
    data_dir=None, train_file=None, validation_file=None, test_file=None, levels=RACE_LEVELS
) -> datasets.DatasetDict:
    """RACE's questions at the given levels (middle = RACE-m, high = RACE-h), one row each.

    `data_dir` holds `RACE/{train,dev,test}/{high,middle}/*.txt` or is `RACE/` itself; train and dev are needed,
    test is read where present. A file is a folder in that split layout, or json / jsonl of the original
    articles (`article`, `questions`, `options`, `answers`, `id`) or of questions as on the Hub (`example_id`,
    `article`, `question`, `options`, `answer`), whose level is their `level` or their id's start.
    """
    levels = (levels,) if isinstance(levels, str) else tuple(levels)
    if not levels or any(level not in RACE_LEVELS for level in levels):
        raise DataError(f"RACE's levels are {' and '.join(RACE_LEVELS)}, not {', '.join(map(str, levels)) or 'none'}")
    files = given_files(data_dir, train=train_file, validation=validation_file, test=test_file)
    if not files and data_dir is None:
        raise DataError("pass --data_dir with RACE's original folders, or data files")
    if not files:
        files = original_race_folders(Path(data_dir))
    features = datasets.Features(
        {**MULTIPLE_CHOICE_FEATURES, "question": datasets.Value("string"), "level": datasets.Value("string")}
    )
    return datasets.DatasetDict(
        {
            split: rows_in_memory(race_folder(path, levels) if path.is_dir() else race_file(path, levels), features)
            for split, path in files.items()
        }
    )


def original_race_folders(data_dir: Path) -> dict[str, Path]:
    """The split folders of `data_dir` (or of its `RACE/`): train and dev are needed, test is optional."""
    root = data_dir / "RACE" if (data_dir / "RACE").is_dir() else data_dir
    folders = {split: root / name for split, name in RACE_SPLITS.items()}
    for split in ("train", "validation"):
        if not folders[split].is_dir():
            raise DataError(f"{folders[split]} does not exist: {data_dir} is not in RACE's original layout")
    if not folders["test"].is_dir():
        del folders["test"]
    return folders


def race_folder(path: Path, levels: tuple) -> list[dict]:
    """The questions of a split folder of the original layout, file by file in name order."""
    rows = []
    for level in levels:
        folder = path / level
        files = sorted(folder.glob("*.txt"))
        if not files:
            raise DataError(f"{folder} has no RACE articles (*.txt)")
        for file in files:
            try:
                article = json.loads(file.read_text(encoding="utf-8"))
            except json.JSONDecodeError as error:
                raise DataError(f"{file} is not a RACE article (JSON): {error}") from error
            rows += race_questions(str(file), article, level)
    return rows


def race_file(path: Path, levels: tuple) -> list[dict]:
    """The questions of a json / jsonl file of original articles or of Hub-style questions, at `levels`."""
    rows, asked = [], {}
    for where, record in read_table(path).records():
        level = race_level(record, where)
        if "questions" in record:
            questions = race_questions(where, record, level)
        else:
            # a question as on the Hub: its index among its article's questions numbers it, as in the folders
            article_id = str(cell(record, "example_id", where))
            asked[article_id] = asked.get(article_id, -1) + 1
            article = {
                "id": article_id,
                "article": cell(record, "article", where),
                "questions": [cell(record, "question", where)],
                "options": [cell(record, "options", where)],
                "answers": [cell(record, "answer", where)],
            }
            questions = race_questions(where, article, level, asked[article_id])
        if level in levels:
            rows += questions
    if not rows:
        raise DataError(f"{path} has no questions at the levels {', '.join(levels)}")
    return rows


def race_level(record: dict, where: str) -> str:
    """A question's level: its `level`, or the start of its article's id (`high10024.txt`)."""
    name = str(record.get("level") or record.get("id") or record.get("example_id") or "")
    level = next((level for level in RACE_LEVELS if name.startswith(level)), None)
    if level is None:
        raise DataError(f"{where}: no level: neither a column 'level' nor an id starting with middle or high")
    return level


def race_questions(where: str, article: dict, level: str, first: int = 0) -> list[dict]:
    """An article's questions as rows; question k of article `id` has the id `id-k`."""
    for column in ("article", "questions", "options", "answers"):
        if not isinstance(cell(article, column, where), str if column == "article" else list):
            raise DataError(f"{where}, column {column!r}: {type(article[column]).__name__} is not a RACE {column}")
    article_id = str(cell(article, "id", where))
    questions, options, answers = article["questions"], article["options"], article["answers"]
    if not len(questions) == len(options) == len(answers):
        raise DataError(f"{where}: {len(questions)} questions, {len(options)} option lists and {len(answers)} answers")
    rows = []
    for index, (question, choices, answer) in enumerate(zip(questions, options, answers, strict=True), first):
        if not isinstance(question, str):
            raise DataError(f"{where}, question {index}, column 'questions': {question!r} is not a text")
        if not isinstance(choices, list) or len(choices) != len(RACE_ANSWERS):
            raise DataError(f"{where}, question {index}, column 'options': {choices!r} is not a list of 4 options")
        for letter, choice in zip(RACE_ANSWERS, choices, strict=True):
            place = f"{where}, question {index}, column 'options': option {letter}"
            if not isinstance(choice, str):
                raise DataError(f"{place} {choice!r} is not a text")
            if not choice.strip():
                raise DataError(f"{place} is empty ({choice!r}); every choice needs a text")
        if answer not in RACE_ANSWERS:
            raise DataError(f"{where}, question {index}, column 'answers': {answer!r} is not one of A, B, C, D")
        rows.append(
            {
                "id": f"{article_id}-{index}",
                "text": article["article"],
                "question": question,
                "choices": choices,
                "label": RACE_ANSWERS.index(answer),
                "level": level,
            }
        )
    return rows


WINOGRAD_COLUMNS = ("sentence", "option1", "option2", "answer")


def load_winograd(data_dir=None, train_file=None, validation_file=None, test_file=None) -> datasets.DatasetDict:
    """Winograd-style sentences (WSC, DPRD, WinoGrande) from csv / tsv / json files in WinoGrande's layout:
    `sentence` with one blank `_` where an option goes, `option1`, `option2`, `answer` (1 or 2), optional `id` (or
    WinoGrande's `qID`).
    Rows are `id`, `text` (the sentence), `choices` and `label`, as for the other multiple-choice tasks."""
    files = given_files(data_dir, train=train_file, validation=validation_file, test=test_file)
    if not files:
        raise DataError("Winograd sentences have no original layout here: pass --validation_file (and --train_file)")
    features = datasets.Features(MULTIPLE_CHOICE_FEATURES)
    return datasets.DatasetDict(
        {split: rows_in_memory(winograd_rows(path), features) for split, path in files.items()}
    )


def winograd_rows(path: Path) -> list[dict]:
    """A Winograd file's sentences, each checked for its one blank and its answer."""
    table = read_table(path)
    missing = [column for column in WINOGRAD_COLUMNS if column not in table.columns]
    if missing:
        raise DataError(f"{path} lacks the Winograd columns {', '.join(missing)}")
    rows = []
    for number, (where, record) in enumerate(table.records()):
        sentence = text_cell(record, "sentence", where)
        if sentence.count("_") != 1:
            raise DataError(f"{where}, column 'sentence': {sentence!r} must hold one blank '_'")
        answer = str(cell(record, "answer", where)).strip()
        if answer not in ("1", "2"):
            raise DataError(f"{where}, column 'answer': {answer!r} is not 1 or 2")
        rows.append(
            {
                "id": str(record.get("id", record.get("qID", number))),  # WinoGrande's files call it qID
                "text": sentence,
                "choices": [choice_cell(record, "option1", where), choice_cell(record, "option2", where)],
                "label": int(answer) - 1,
            }
        )
    return rows


# the loaders of the multiple-choice tasks, by name; every other task name is a GLUE-style task of `TASKS`
MULTIPLE_CHOICE_LOADERS = {"story_cloze": load_story_cloze, "race": load_race, "winograd": load_winograd}


def load_task(name: str, data_dir=None, train_file=None, validation_file=None) -> datasets.DatasetDict:
    """Any task's splits by its name (`cola`, `RTE`, `story_cloze`, `race`, `winograd`, ...)."""
    loader = MULTIPLE_CHOICE_LOADERS.get(name.lower().replace("-", "_"))
    if loader is not None:
        return loader(data_dir, train_file=train_file, validation_file=validation_file)
    return load_glue(name, data_dir, train_file=train_file, validation_file=validation_file)
