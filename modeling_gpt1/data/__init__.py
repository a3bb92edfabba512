"""The data GPT-1 trains on, as `datasets` objects (needs the `examples` extra: datasets, scikit-learn).

    from modeling_gpt1.data import load_glue, load_story_cloze, load_race
    splits = load_glue("rte", "path/to/glue/RTE")  # a DatasetDict: id, text, text_pair, label

`tasks`: the fine-tuning and zero-shot tasks (GLUE, SNLI, SciTail, Story Cloze, RACE, Winograd) from their original
files, the user's own files or the Hub. `pretraining`: a corpus tokenized once into a cached, memory-mapped token
stream, split and drawn as GPT-1's random windows.
"""

from .pretraining import read_windows, split_stream, tokenize_dataset, tokenize_files, window_starts
from .tasks import (
    TASKS,
    DataError,
    Task,
    get_task,
    load_glue,
    load_race,
    load_story_cloze,
    load_task,
    load_winograd,
)

__all__ = [
    "TASKS",
    "DataError",
    "Task",
    "get_task",
    "load_glue",
    "load_race",
    "load_story_cloze",
    "load_task",
    "load_winograd",
    "read_windows",
    "split_stream",
    "tokenize_dataset",
    "tokenize_files",
    "window_starts",
]
