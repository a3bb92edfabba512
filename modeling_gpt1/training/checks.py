"""The checks the scripts run before their first expensive step, and how a refusal is reported.

A refusal is a `UsageError`, reported by `exit_with_error` as one `<script>: error:` line with exit status 2 (the
status argparse gives a bad command line), before anything is computed or written.
"""

import json
import re
import sys
from pathlib import Path

import torch

# a Hub model id (`gpt2`, `openai-community/openai-gpt`), which need not be a folder here
HUB_ID = re.compile(r"[\w.-]+(/[\w.-]+)?")
# fields of a saved config that say how it was saved or loaded, not which model it describes
NOT_THE_MODEL = {"transformers_version", "_attn_implementation", "architectures", "dtype", "torch_dtype"}


class UsageError(Exception):
    """Bad input found before the work starts: reported as one `<script>: error:` line."""


def exit_with_error(script: str, error) -> None:
    """Stop every process with one `<script>: error: <error>` line on stderr and exit status 2."""
    if torch.distributed.is_initialized():  # every process stops here; gloo aborts at exit otherwise
        torch.distributed.destroy_process_group()
    message = " ".join(line.strip() for line in str(error).splitlines() if line.strip())  # one line, always
    print(f"{script}: error: {message}", file=sys.stderr, flush=True)
    sys.exit(2)


def check_output_dir(output_dir: Path, inputs: dict):
    """Refuse an output folder that cannot hold the outputs: a file, a path through a file, or one of the run's
    inputs (`inputs`: option -> a path, a list of them, or None), whose files the outputs would replace."""
    output_dir = Path(output_dir)
    if output_dir.exists() and not output_dir.is_dir():
        raise UsageError(f"--output_dir {output_dir} is a file, not a folder")
    existing = next(folder for folder in output_dir.absolute().parents if folder.exists())
    if not output_dir.exists() and not existing.is_dir():
        raise UsageError(f"--output_dir {output_dir}: {existing} is a file, not a folder")
    for option, values in inputs.items():
        for value in values if isinstance(values, list | tuple) else [values]:
            if value is not None and Path(value).exists() and Path(value).resolve() == output_dir.resolve():
                raise UsageError(
                    f"--output_dir {output_dir} is the {option} folder: the outputs would replace its files; "
                    "choose another --output_dir"
                )


def check_folder_to_write(folder: Path, option: str):
    """Refuse a folder to write (a cache) that is a file or lies under one."""
    folder = Path(folder)
    existing = folder if folder.exists() else next(path for path in folder.absolute().parents if path.exists())
    if not existing.is_dir():
        raise UsageError(f"{option} {folder}: {existing} is a file, not a folder")


def check_model_path(name_or_path: str, option: str = "--model_name_or_path"):
    """Refuse a model path that is a file, or that is neither a folder nor a Hub id."""
    path = Path(name_or_path)
    if path.is_file():
        raise UsageError(f"{option} {name_or_path} is a file; give the model's folder or a Hub id")
    if not path.exists() and not HUB_ID.fullmatch(str(name_or_path)):
        raise UsageError(f"{option} {name_or_path}: no such folder, and not a Hub id (NAME or OWNER/NAME)")


def read_json(path: Path, what: str):
    """The JSON in `path`, a file of a checkpoint (`what` names it in messages)."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{what} has no {Path(path).name}: it is not a complete checkpoint of this script") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UsageError(f"{path} is damaged (not JSON: {error})") from None


def check_resumable(checkpoint: Path, config, settings: dict, ignored: tuple = ()):
    """Refuse a checkpoint made with another model config (its `config.json`) or with other settings that fix the
    run's course (its `run.json`: seed, batch, learning rate, data, ...), naming every difference; the config's
    `ignored` fields are not compared (not known yet)."""
    saved = read_json(checkpoint / "config.json", str(checkpoint))
    try:
        saved = type(config).from_dict(saved).to_diff_dict()
    except (TypeError, ValueError) as error:
        raise UsageError(f"{checkpoint / 'config.json'} is not a config of this model ({error})") from None
    ours = config.to_diff_dict()
    compared = (saved.keys() | ours.keys()) - NOT_THE_MODEL - set(ignored)
    fields = sorted(key for key in compared if saved.get(key) != ours.get(key))
    if fields:
        differences = ", ".join(f"{key} {saved.get(key)} there, {ours.get(key)} here" for key in fields)
        raise UsageError(f"{checkpoint} was made with another model config ({differences})")
    saved_settings = read_json(checkpoint / "run.json", str(checkpoint))
    keys = [key for key in settings if saved_settings.get(key) != settings[key]]
    if keys:
        differences = ", ".join(f"{key} {saved_settings.get(key)} there, {settings[key]} here" for key in keys)
        raise UsageError(f"{checkpoint} was made by a run with other settings ({differences})")
