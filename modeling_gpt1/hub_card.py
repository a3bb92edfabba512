"""The model card (README.md) of a GPT-1 checkpoint folder, and `hub_card.md` at the project's root.

The card is Hub metadata (YAML front matter, built with huggingface_hub's `ModelCardData` and `EvalResult`)
over a markdown body (`hub_card_template.md`, filled with `string.Template`). The figures in both come from
one place, `MEASURED` (what this project measured) and `PAPER` (the paper's test-set scores), so the
model-index and the body's tables cannot disagree. A later measurement is one more entry in `MEASURED`.

`python -m modeling_gpt1.hub_card [PATH]` writes the card to PATH (default: `hub_card.md`).
"""

import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template

from huggingface_hub import EvalResult, ModelCardData

REPO_ID = "org/gpt1-repro"  # the Hub repository the card's examples load from
MODEL_NAME = "gpt1-repro"  # the model-index name
PAPER_URL = "https://cdn.openai.com/research-covers/language-unsupervised/language_understanding_paper.pdf"
PAPER_SOURCE = "Radford et al. 2018, paper (test set)"
MEASURED_SOURCE = "gpt1-repro measurement"  # every measured result's source name starts with this
MEASURED_URL = f"https://huggingface.co/{REPO_ID}#measured-by-this-project"  # the card's own table of them
TEMPLATE = "hub_card_template.md"
# the machine and software of the measurements taken so far
CPU = "2 vCPUs of an AMD EPYC, torch 2.13.0+cpu, transformers 5.23.0"


@dataclass(frozen=True)
class Result:
    """One figure of the card: a score, what it was scored on, and where it comes from."""

    task: str  # the row's name; a paper task's name as SPEC §6 writes it ("RACE-m", "STS-B")
    task_type: str  # Hub task id
    dataset: str  # what was scored, in words
    dataset_id: str  # Hub dataset id, or a name for data that is not on the Hub
    metric: str  # Hub metric id
    metric_name: str  # in words, with its unit
    value: float
    how: str  # who measured it, with what command on what machine: the model-index `source.name`
    url: str = MEASURED_URL  # where `how` is documented: the model-index `source.url`
    config: str | None = None  # Hub dataset config
    split: str | None = None

    def eval_result(self) -> EvalResult:
        """This result as the Hub's model-index entry."""
        return EvalResult(
            task_type=self.task_type,
            task_name=self.task,
            dataset_type=self.dataset_id,
            dataset_name=self.dataset,
            dataset_config=self.config,
            dataset_split=self.split,
            metric_type=self.metric,
            metric_name=self.metric_name,
            metric_value=self.value,
            source_name=self.how,
            source_url=self.url,
        )


def measured(command: str, machine: str = CPU) -> str:
    """The source name of a figure this project measured: the command that gives it, and the machine."""
    return f"{MEASURED_SOURCE}: {command}; {machine}"


# What this project measured. Fine-tuning scores are not measured yet: they will come as entries named like
# the paper's tasks ("RTE", "Story Cloze"), which the paper table then shows beside the paper's numbers.
MEASURED = [
    Result(
        task="Tokenization",
        task_type="text-generation",
        dataset="golden_tokenization.jsonl: 306 texts with the original encoder's ids",
        dataset_id="gpt1-golden-tokenization",
        metric="exact_match",
        metric_name="texts whose ids equal the original encoder's (%), 306 of 306",
        value=100.0,
        how=measured(
            "python -m pytest tests/test_tokenizer.py -k golden (GPT1Tokenizer()(text) ids "
            "against the file's, which the original text_utils.TextEncoder gave with spaCy 3.8 and ftfy 6.3)"
        ),
    ),
    Result(
        task="Tokenization",
        task_type="text-generation",
        dataset="10 MB English corpus (13 Project Gutenberg books, US presidential addresses, tiny-shakespeare)",
        dataset_id="gpt1-repro-english-corpus",
        metric="exact_match",
        metric_name="paragraphs whose ids equal the original encoder's (%), 26,082 of 26,082",
        value=100.0,
        how=measured(
            'python -m pytest -m slow "tests/test_tokenizer.py::test_real_text_gives_the_original_ids[corpus]" '
            "(GPT1Tokenizer ids against benchmarks/original_encoder.py, the original text_utils.TextEncoder, on "
            "each paragraph of combined_en.txt, 9.97 MB split at blank lines)"
        ),
    ),
    Result(
        task="Conversion of the original release",
        task_type="text-generation",
        dataset="random values in the original shard layout (params_0..9.npy of the real params_shapes.json), fp32",
        dataset_id="random-release-shards",
        metric="max_abs_logit_difference",
        metric_name="largest |logit difference| of gpt1-convert's output against OpenAIGPTLMHeadModel holding "
        "the same arrays, 512 real token ids (test bound 1e-4)",
        value=5.0e-06,
        how=measured(
            "python -m pytest -s tests/test_convert_release.py -k full_size, which prints it (gpt1-convert of the "
            "10 shards into our folder, loaded back, against the port loaded independently from the same arrays)"
        ),
    ),
    Result(
        task="Parity with transformers' OpenAIGPTLMHeadModel",
        task_type="text-generation",
        dataset="random token ids under random weights, GPT-1 size (12 x 768, 40,478 tokens), fp32",
        dataset_id="random-weights",
        metric="max_abs_logit_difference",
        metric_name="largest |logit difference| against OpenAIGPTLMHeadModel, same weights (test bound 1e-4)",
        value=1.8e-06,
        how=measured(
            "python -m pytest -s tests/test_parity_full_size.py -k lm_logits, which prints it (seed 0, 1 x 24 "
            "random tokens) and asserts it is <= 1e-4"
        ),
    ),
]

# The paper's scores (SPEC §6; the paper's Tables 2 and 3, test sets):
# task, Hub task, dataset in words, Hub dataset id, its config, metric id, value
_PAPER_ROWS = [
    ("Story Cloze", "multiple-choice", "Story Cloze Test 2016", "LSDSem/story_cloze", "2016", "accuracy", 86.5),
    ("RACE-m", "multiple-choice", "RACE, middle school", "ehovy/race", "middle", "accuracy", 62.9),
    ("RACE-h", "multiple-choice", "RACE, high school", "ehovy/race", "high", "accuracy", 57.4),
    ("RACE", "multiple-choice", "RACE, all", "ehovy/race", "all", "accuracy", 59.0),
    ("MNLI-m", "text-classification", "GLUE MNLI, matched", "nyu-mll/glue", "mnli_matched", "accuracy", 82.1),
    ("MNLI-mm", "text-classification", "GLUE MNLI, mismatched", "nyu-mll/glue", "mnli_mismatched", "accuracy", 81.4),
    ("SNLI", "text-classification", "SNLI", "stanfordnlp/snli", None, "accuracy", 89.9),
    ("SciTail", "text-classification", "SciTail", "allenai/scitail", None, "accuracy", 88.3),
    ("QNLI", "text-classification", "GLUE QNLI", "nyu-mll/glue", "qnli", "accuracy", 88.1),
    ("RTE", "text-classification", "GLUE RTE", "nyu-mll/glue", "rte", "accuracy", 56.0),
    ("CoLA", "text-classification", "GLUE CoLA", "nyu-mll/glue", "cola", "matthews_correlation", 45.4),
    ("SST-2", "text-classification", "GLUE SST-2", "nyu-mll/glue", "sst2", "accuracy", 91.3),
    ("MRPC", "text-classification", "GLUE MRPC", "nyu-mll/glue", "mrpc", "f1", 82.3),
    ("STS-B", "text-classification", "GLUE STS-B", "nyu-mll/glue", "stsb", "pearsonr", 82.0),
    ("QQP", "text-classification", "GLUE QQP", "nyu-mll/glue", "qqp", "f1", 70.3),
    ("GLUE score", "text-classification", "GLUE benchmark", "nyu-mll/glue", None, "glue_score", 72.8),
]
# the paper reports every score x 100
METRIC_NAMES = {
    "accuracy": "accuracy (%)",
    "matthews_correlation": "Matthews correlation (x100)",
    "f1": "F1 (%)",
    "pearsonr": "Pearson correlation (x100)",
    "glue_score": "GLUE score",
}
PAPER = [
    Result(
        task,
        task_type,
        dataset,
        dataset_id,
        metric,
        METRIC_NAMES[metric],
        value,
        how=PAPER_SOURCE,
        url=PAPER_URL,
        config=config,
        split="test",
    )
    for task, task_type, dataset, dataset_id, config, metric, value in _PAPER_ROWS
]


def card_data() -> ModelCardData:
    """The card's YAML metadata, its model-index holding the measured results, then the paper's."""
    return ModelCardData(
        language="en",
        license="mit",
        library_name="transformers",
        pipeline_tag="text-generation",
        tags=["custom_code", "gpt1", "openai-gpt", "text-generation", "pytorch"],
        datasets=[
            "bookcorpus/bookcorpus",
            "nyu-mll/glue",
            "LSDSem/story_cloze",
            "ehovy/race",
            "stanfordnlp/snli",
            "allenai/scitail",
        ],
        model_name=MODEL_NAME,
        eval_results=[result.eval_result() for result in MEASURED + PAPER],
    )


def _cell(value) -> str:
    """A value written for a markdown table cell; floats as Python writes them, so 59.0 stays 59.0."""
    return str(value).replace("|", "\\|")


def _table(header: list[str], rows: list[list]) -> str:
    """A markdown table."""
    lines = [header, ["---"] * len(header), *rows]
    return "\n".join("| " + " | ".join(_cell(value) for value in line) + " |" for line in lines)


def measured_table() -> str:
    """The body's table of `MEASURED`."""
    rows = [[r.task, r.dataset, r.metric_name, r.value, r.how.removeprefix(f"{MEASURED_SOURCE}: ")] for r in MEASURED]
    return _table(["task", "measured on", "metric", "value", "how (command; machine)"], rows)


def paper_table() -> str:
    """The body's table of `PAPER`, with this project's score of each task beside it where one was measured."""
    ours = {(r.task, r.metric): f"{r.value} ({r.split})" if r.split else r.value for r in MEASURED}
    rows = []
    for r in PAPER:
        measured_score = ours.get((r.task, r.metric), "not measured yet")
        rows.append([r.task, f"{r.dataset} ({r.split})", r.metric_name, r.value, measured_score])
    return _table(["task", "dataset (split)", "metric", "paper", "this project"], rows)


def render_card() -> str:
    """The complete model card: YAML front matter and the markdown body."""
    template = Template(resources.files(__package__).joinpath(TEMPLATE).read_text(encoding="utf-8"))
    body = template.substitute(
        repo_id=REPO_ID,
        paper_url=PAPER_URL,
        measured_table=measured_table(),
        paper_table=paper_table(),
    )
    return f"---\n{card_data().to_yaml()}\n---\n\n{body}"


def write_card(folder) -> Path:
    """Write the card as `folder/README.md` and return its path."""
    path = Path(folder) / "README.md"
    path.write_text(render_card(), encoding="utf-8", newline="\n")
    return path


def main(argv: list[str] | None = None) -> None:
    """Write the card to the path given (default: `hub_card.md` in the working directory)."""
    argv = sys.argv[1:] if argv is None else argv
    Path(argv[0] if argv else "hub_card.md").write_text(render_card(), encoding="utf-8", newline="\n")


if __name__ == "__main__":
    main()
