"""GPT-1 checkpoints between the original release, transformers' port (`openai-gpt`) and this package.

The port and this package both use the checkpoint's module names (`tokens_embed`, `h.N.attn.c_attn`, ...),
so converting is transposing the port's Conv1D weights (stored [in, out]) into `nn.Linear` ones ([out, in])
and renaming the one classifier layer. The original release (`params_shapes.json` + `params_0..9.npy`) is
one flat float32 array cut in ten pieces, read here without pickle and checked against its shapes.

`gpt1-convert SRC DST [--to gpt1|openai-gpt]` (and `convert`) turns any of the three into a folder of this
package (weights, code, tokenizer, model card) or of the port.
"""

import argparse
import json
import math
import os
import re
import shutil
import tempfile
from pathlib import Path

import huggingface_hub
import numpy as np
import torch
import transformers
from transformers import (
    GPT2LMHeadModel,
    OpenAIGPTConfig,
    OpenAIGPTDoubleHeadsModel,
    OpenAIGPTLMHeadModel,
    OpenAIGPTModel,
    OpenAIGPTTokenizer,
)
from transformers.activations import ACT2FN
from transformers.utils import logging

from . import modeling_gpt1
from .configuration_gpt1 import GPT1Config
from .hub_card import write_card
from .modeling_gpt1 import GPT1DoubleHeads, GPT1LMHeadModel, GPT1Model, GPT1PreTrainedModel
from .tokenization_gpt1 import ORIGINAL_FILES_NAMES, RELEASED_VOCABULARY, VOCAB_FILES_NAMES, GPT1Tokenizer

logger = logging.get_logger(__name__)

# the port's class -> ours, and back
OUR_CLASS = {
    OpenAIGPTModel: GPT1Model,
    OpenAIGPTLMHeadModel: GPT1LMHeadModel,
    OpenAIGPTDoubleHeadsModel: GPT1DoubleHeads,
}
PORT_CLASS = {ours: port for port, ours in OUR_CLASS.items()}
# Conv1D layers of the port, whose weights are stored transposed
CONV1D_WEIGHTS = ("attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight")
PORT_CLASSIFIER, OUR_CLASSIFIER = "multiple_choice_head.summary.", "classifier."
# the port's `afn` -> our `hidden_act`; its "gelu" is the tanh approximation
ACTIVATIONS = {"gelu": "gelu_pytorch_tanh", "relu": "relu", "silu": "silu", "swish": "silu"}
# The config fields carried over: ours (GPT1Config takes the paper's names), the port's (OpenAIGPTConfig) and
# GPT-2's (GPT2Config), None where that config has no counterpart. Copied as they are, but for the port's activation
# names (ACTIVATIONS, both ways) and the dropout probabilities, floats in ours: see `our_fields` and `port_fields`.
CONFIG_FIELDS = (
    ("vocab_size", "vocab_size", "vocab_size"),
    ("n_positions", "n_positions", "n_positions"),
    ("n_embd", "n_embd", "n_embd"),
    ("n_layer", "n_layer", "n_layer"),
    ("n_head", "n_head", "n_head"),
    ("intermediate_size", None, "n_inner"),  # None (GPT-2's default) is 4 x n_embd in ours too
    ("hidden_act", "afn", "activation_function"),
    ("embd_pdrop", "embd_pdrop", "embd_pdrop"),
    ("attn_pdrop", "attn_pdrop", "attn_pdrop"),
    ("resid_pdrop", "resid_pdrop", "resid_pdrop"),
    ("layer_norm_epsilon", "layer_norm_epsilon", "layer_norm_epsilon"),
    ("initializer_range", "initializer_range", "initializer_range"),
    ("classifier_dropout", "summary_first_dropout", None),
    ("bos_token_id", None, "bos_token_id"),
    ("eos_token_id", None, "eos_token_id"),
)
PORT, GPT2 = 1, 2  # the columns of CONFIG_FIELDS

SHAPES_FILE = "params_shapes.json"
NUM_SHARDS = 10  # the original code reads params_0.npy .. params_9.npy
# each block's arrays, in the release's order; a `w` is used as x @ w[0], so it is [1, in, out]
BLOCK_ARRAYS = (
    "attn.c_attn.w",
    "attn.c_attn.b",
    "attn.c_proj.w",
    "attn.c_proj.b",
    "ln_1.g",
    "ln_1.b",
    "mlp.c_fc.w",
    "mlp.c_fc.b",
    "mlp.c_proj.w",
    "mlp.c_proj.b",
    "ln_2.g",
    "ln_2.b",
)
HEAD_SIZE = 64  # the release does not store the number of heads; GPT-1's heads are 64 wide
FINE_TUNING_TOKENS = 3  # _start_, _delimiter_, _classify_, after the vocabulary
TARGETS = ("gpt1", "openai-gpt")
# `owner/name`, the form of a Hub model repo id
REPO_ID = re.compile(r"[\w.-]+/[\w.-]+")


def from_openai_gpt(source, **config_kwargs) -> GPT1PreTrainedModel:
    """Our counterpart of a transformers `OpenAIGPT*` model (or of a folder saved from one), same weights.

    `config_kwargs` set what the port's config has no field for (`extract_token_id`, `lm_coef`, ...).
    """
    if isinstance(source, (str, os.PathLike)):
        source = _load_port(source)
    port_class = next((cls for cls in OUR_CLASS if type(source) is cls), None)
    if port_class is None:
        raise ValueError(
            f"from_openai_gpt takes OpenAIGPTModel, OpenAIGPTLMHeadModel or OpenAIGPTDoubleHeadsModel, "
            f"got {type(source).__name__}"
        )
    config = GPT1Config(**our_fields(source.config, PORT), **config_kwargs)
    model = OUR_CLASS[port_class](config)
    model.load_state_dict(converted_state(source, {PORT_CLASSIFIER: OUR_CLASSIFIER}), strict=True)
    return model.to(source.dtype).train(source.training)


def from_gpt2(source) -> GPT1LMHeadModel:
    """Our `GPT1LMHeadModel` with GPT-2's options (pre-LN blocks, final LayerNorm, scaled init) holding the weights
    of a transformers `GPT2LMHeadModel`, or of a folder saved from one. The tokenizer stays GPT-2's own."""
    if isinstance(source, (str, os.PathLike)):
        source = GPT2LMHeadModel.from_pretrained(source)
    if type(source) is not GPT2LMHeadModel:
        raise ValueError(f"from_gpt2 takes a GPT2LMHeadModel or its folder, got {type(source).__name__}")
    gpt2 = source.config
    if gpt2.activation_function not in ACT2FN:
        raise ValueError(f"GPT-2's activation {gpt2.activation_function!r} is not one of transformers'")
    if not gpt2.scale_attn_weights or gpt2.scale_attn_by_inverse_layer_idx or gpt2.reorder_and_upcast_attn:
        raise ValueError("from_gpt2 takes GPT-2's standard attention (scaled by 1/sqrt(head size) only)")
    config = GPT1Config(
        **our_fields(gpt2, GPT2),
        pre_layer_norm=True,
        scale_residual_init=True,
        start_token_id=None,
        delimiter_token_id=None,
        extract_token_id=None,
    )
    names = {"transformer.wte.": "transformer.tokens_embed.", "transformer.wpe.": "transformer.positions_embed."}
    model = GPT1LMHeadModel(config)
    model.load_state_dict(converted_state(source, names), strict=True)
    return model.to(source.dtype).train(source.training)


def to_openai_gpt(model: GPT1PreTrainedModel):
    """transformers' `OpenAIGPT*` counterpart of one of our models, same weights."""
    if type(model) not in PORT_CLASS:
        raise ValueError(
            f"to_openai_gpt takes GPT1Model, GPT1LMHeadModel or GPT1DoubleHeads, got {type(model).__name__}"
        )
    config = model.config
    if config.pre_layer_norm or config.scale_residual_init:
        raise ValueError("transformers' port has GPT-1's post-LN blocks only; this model has GPT-2's options")
    if "sliding_attention" in (config.layer_types or []):
        raise ValueError("transformers' port has dense attention only; this model has GPT-3's local layers")
    if config.intermediate_size != 4 * config.hidden_size:
        raise ValueError(
            f"transformers' port fixes intermediate_size to 4 x hidden_size; this model has {config.intermediate_size}"
        )
    fields = port_fields(config)
    if isinstance(model, GPT1DoubleHeads) and config.classifier_type != "multiple_choice":
        raise ValueError("transformers' OpenAIGPTDoubleHeadsModel has only the multiple-choice classifier")
    port = PORT_CLASS[type(model)](OpenAIGPTConfig(**fields))
    port.load_state_dict(converted_state(model, {OUR_CLASSIFIER: PORT_CLASSIFIER}), strict=True)
    return port.to(model.dtype).train(model.training)


def our_fields(source_config, column: int) -> dict:
    """GPT1Config's keyword arguments read off a transformers config, whose field names are `column` of
    CONFIG_FIELDS (PORT or GPT2)."""
    fields = {row[0]: getattr(source_config, row[column]) for row in CONFIG_FIELDS if row[column] is not None}
    for name in ("embd_pdrop", "attn_pdrop", "resid_pdrop", "classifier_dropout"):
        if name in fields:
            fields[name] = float(fields[name])
    if column == PORT:
        if fields["hidden_act"] not in ACTIVATIONS:
            raise ValueError(f"the port's activation afn={fields['hidden_act']!r} has no GPT-1 counterpart")
        fields["hidden_act"] = ACTIVATIONS[fields["hidden_act"]]
    return fields


def port_fields(config: GPT1Config) -> dict:
    """OpenAIGPTConfig's keyword arguments read off our config (the PORT column of CONFIG_FIELDS)."""
    fields = {row[PORT]: getattr(config, row[0]) for row in CONFIG_FIELDS if row[PORT] is not None}
    fields["afn"] = next((port for port, ours in ACTIVATIONS.items() if ours == config.hidden_act), None)
    if fields["afn"] is None:
        raise ValueError(f"hidden_act={config.hidden_act!r} has no counterpart in transformers' port")
    return fields


def converted_state(model, names: dict[str, str]) -> dict:
    """`model`'s state dict with the Conv1D/Linear weights transposed (the ports' Conv1D weights are [in, out]) and
    the parts of the keys in `names` renamed."""
    state = {}
    for key, value in model.state_dict().items():
        if key.endswith(CONV1D_WEIGHTS):
            value = value.t()
        for old, new in names.items():
            key = key.replace(old, new)
        state[key] = value.contiguous()
    return state


def _load_port(folder):
    """Load a transformers `openai-gpt` folder as the port class its config names."""
    port_config = OpenAIGPTConfig.from_pretrained(folder)
    architecture = (port_config.architectures or ["OpenAIGPTLMHeadModel"])[0]
    port_class = getattr(transformers, architecture, None)
    if port_class not in OUR_CLASS:
        raise ValueError(f"{folder}: architecture {architecture!r} is not one from_openai_gpt converts")
    return port_class.from_pretrained(folder)


def convert(src, dst, to: str = "gpt1") -> Path:
    """Convert the checkpoint in folder `src` into a new folder `dst` of this package (`to="gpt1"`) or of
    transformers' port (`to="openai-gpt"`), and return `dst`.

    `src` is detected as the original release, a transformers `openai-gpt` folder or one of ours; a Hub repo
    id (`openai-community/openai-gpt`) that is not a local folder is downloaded first. `dst` must not exist or
    be empty, and lie outside `src`. It is written beside itself and renamed into place at the end, so a
    conversion that fails leaves nothing behind, not even the parent folders it made.
    """
    if to not in TARGETS:
        raise ValueError(f"to={to!r}: the converter writes one of {', '.join(TARGETS)}")
    dst = Path(dst)
    if dst.exists() and (not dst.is_dir() or any(dst.iterdir())):
        raise ValueError(f"{dst}: already exists and is not an empty folder; choose a new destination")
    existing = next(folder for folder in dst.absolute().parents if folder.exists())
    if not dst.exists() and not existing.is_dir():
        raise ValueError(f"{dst}: {existing} is a file, not a folder; choose a new destination")
    src = local_folder(src)
    layout = detect_layout(src)
    if dst.resolve() == src.resolve() or src.resolve() in dst.resolve().parents:
        # the conversion would write into the checkpoint it reads
        raise ValueError(f"{dst} is the source folder {src} or inside it; choose a destination outside it")
    try:
        model, tokenizer = LOADERS[layout](src)
    except (ValueError, OSError):
        raise
    except Exception as error:  # a damaged file met inside transformers or safetensors
        raise ValueError(f"{src}: cannot be read as a {layout} checkpoint ({type(error).__name__}: {error})") from None
    made = next((folder for folder in reversed(dst.absolute().parents) if not folder.exists()), None)
    dst.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{dst.name}.", suffix=".converting", dir=dst.parent))
    try:
        folder = scratch / dst.name
        folder.mkdir()  # with the permissions of a plain mkdir, which the renamed folder keeps
        WRITERS[to](model, tokenizer, folder)
        folder.replace(dst)
    except BaseException:
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return dst


def local_folder(src) -> Path:
    """`src` itself, or where the Hub repo it names was downloaded."""
    path = Path(src)
    if path.exists() or not REPO_ID.fullmatch(str(src)):
        return path
    try:
        return Path(huggingface_hub.snapshot_download(repo_id=str(src)))
    except Exception as error:  # no network, unknown repo, no access: all end the conversion the same way
        raise ValueError(f"{src}: not a local folder, and fetching it from the Hub failed ({error})") from None


def detect_layout(src: Path) -> str:
    """Which checkpoint `src` holds: `"release"` (the original files), `"openai-gpt"` or `"gpt1"`."""
    if not src.is_dir():
        raise FileNotFoundError(f"{src}: no such folder")
    if (src / SHAPES_FILE).exists():
        return "release"
    config_file = src / "config.json"
    if not config_file.is_file():
        raise ValueError(
            f"{src}: neither the original release ({SHAPES_FILE}, params_0..9.npy) nor a transformers folder "
            "(config.json)"
        )
    config = read_json(config_file)
    if not isinstance(config, dict):
        raise ValueError(f"{config_file}: not a JSON object")
    model_type = config.get("model_type")
    if model_type not in ("openai-gpt", "gpt1"):
        raise ValueError(f"{config_file}: model_type {model_type!r}; the converter reads 'openai-gpt' and 'gpt1'")
    return model_type


def read_json(path: Path):
    """The JSON of `path`; an unreadable file is named."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: not a JSON file ({error})") from None


def require_files(folder: Path, names) -> list[Path]:
    """The paths of `names` in `folder`; a FileNotFoundError names the missing ones."""
    paths = [folder / name for name in names]
    missing = [path.name for path in paths if not path.is_file()]
    if missing:
        raise FileNotFoundError(f"{folder}: missing {', '.join(missing)}")
    return paths


def load_release(src: Path) -> tuple[GPT1LMHeadModel, GPT1Tokenizer]:
    """The original release as our LM and tokenizer."""
    vocab_file, merges_file = require_files(src, ORIGINAL_FILES_NAMES.values())
    tokenizer = GPT1Tokenizer(vocab_file, merges_file)
    arrays = read_release(src)
    positions, width = arrays["positions"].shape
    config = GPT1Config(
        vocab_size=arrays["tokens"].shape[0],
        n_positions=positions,
        n_embd=width,
        n_layer=(len(arrays) - 2) // len(BLOCK_ARRAYS),
        n_head=width // HEAD_SIZE,
        intermediate_size=arrays["h.0.mlp.c_fc.w"].shape[-1],
    )
    check_vocab_size(config.vocab_size, tokenizer, vocab_file)
    # every weight is about to be replaced: build on the meta device instead of drawing random ones
    with torch.device("meta"):
        model = GPT1LMHeadModel(config)
    state = {our_key(name): our_tensor(name, array) for name, array in arrays.items()}
    state["lm_head.weight"] = state["transformer.tokens_embed.weight"]  # tied; the release stores it once
    model.load_state_dict(state, strict=True, assign=True)
    model.tie_weights()
    return model, tokenizer


def load_openai_gpt(src: Path) -> tuple[GPT1PreTrainedModel, GPT1Tokenizer]:
    """A transformers `openai-gpt` folder as our model and tokenizer; a folder of weights alone gets GPT-1's
    released vocabulary, shipped in the package."""
    if any((src / name).exists() for name in VOCAB_FILES_NAMES.values()):
        vocab_file, merges_file = require_files(src, VOCAB_FILES_NAMES.values())
        tokenizer = GPT1Tokenizer(vocab_file, merges_file)
    else:
        vocab_file = RELEASED_VOCABULARY / ORIGINAL_FILES_NAMES["vocab_file"]
        logger.warning(
            f"{src} has no vocab.json or merges.txt: using GPT-1's released vocabulary ({vocab_file.parent})"
        )
        tokenizer = GPT1Tokenizer()
    model = from_openai_gpt(src)
    check_vocab_size(model.config.vocab_size, tokenizer, vocab_file)
    return model, tokenizer


def load_gpt1(src: Path) -> tuple[GPT1PreTrainedModel, GPT1Tokenizer]:
    """A folder of this package as the model class it was saved from, and its tokenizer."""
    vocab_file, _ = require_files(src, VOCAB_FILES_NAMES.values())
    tokenizer = GPT1Tokenizer.from_pretrained(src)
    config = GPT1Config.from_pretrained(src)
    architecture = (config.architectures or ["GPT1LMHeadModel"])[0]
    model_class = getattr(modeling_gpt1, architecture, None)
    if not (isinstance(model_class, type) and issubclass(model_class, GPT1PreTrainedModel)):
        raise ValueError(f"{src / 'config.json'}: architecture {architecture!r} is not a GPT-1 model class")
    model = model_class.from_pretrained(src)
    check_vocab_size(model.config.vocab_size, tokenizer, vocab_file)
    return model, tokenizer


def check_vocab_size(model_vocab_size: int, tokenizer: GPT1Tokenizer, vocab_file: Path):
    """The model's embedding has a row for each token, with or without the fine-tuning tokens."""
    if model_vocab_size not in (tokenizer.vocab_size, tokenizer.vocab_size + FINE_TUNING_TOKENS):
        raise ValueError(
            f"{vocab_file}: the vocabulary has {tokenizer.vocab_size:,} tokens, but the model's embedding has "
            f"{model_vocab_size:,} rows (expected {tokenizer.vocab_size:,}, or "
            f"{tokenizer.vocab_size + FINE_TUNING_TOKENS:,} with the fine-tuning tokens)"
        )


def read_release(folder: Path) -> dict[str, np.ndarray]:
    """The release's arrays by name (`positions`, `tokens`, `h.0.attn.c_attn.w`, ...), checked."""
    shapes_file = folder / SHAPES_FILE
    shapes = read_shapes(shapes_file)
    names = release_names(len(shapes), shapes_file)
    check_shapes(dict(zip(names, shapes, strict=True)), shapes_file)
    paths = require_files(folder, [f"params_{index}.npy" for index in range(NUM_SHARDS)])
    flat = np.concatenate([read_shard(path) for path in paths])
    sizes = [math.prod(shape) for shape in shapes]
    if flat.size != sum(sizes):
        raise ValueError(
            f"{folder}: params_0..{NUM_SHARDS - 1}.npy hold {flat.size:,} values, but the {len(shapes)} shapes of "
            f"{SHAPES_FILE} need {sum(sizes):,}"
        )
    pieces = np.split(flat, np.cumsum(sizes)[:-1])
    return {name: piece.reshape(shape) for name, piece, shape in zip(names, pieces, shapes, strict=True)}


def read_shapes(path: Path) -> list[list[int]]:
    """The list of array shapes of `params_shapes.json`, checked to be lists of positive integers."""
    shapes = read_json(path)
    valid = isinstance(shapes, list) and all(
        isinstance(shape, list) and shape and all(type(n) is int and n > 0 for n in shape) for shape in shapes
    )
    if not valid:
        raise ValueError(f"{path}: expected a JSON list of shapes, each a list of positive integers")
    return shapes


def release_names(count: int, shapes_file: Path) -> list[str]:
    """The names of the release's `count` arrays: the two embeddings, then each block's twelve."""
    layers, rest = divmod(count - 2, len(BLOCK_ARRAYS))
    if layers < 1 or rest:
        raise ValueError(
            f"{shapes_file}: {count} shapes are not 2 embeddings + {len(BLOCK_ARRAYS)} arrays for each block"
        )
    return ["positions", "tokens"] + [f"h.{layer}.{name}" for layer in range(layers) for name in BLOCK_ARRAYS]


def check_shapes(shapes: dict[str, list[int]], shapes_file: Path):
    """Each shape agrees with the sizes read off the embeddings and the first MLP; a mismatch names the array."""
    width = shapes["tokens"][-1]
    inner = shapes["h.0.mlp.c_fc.w"][-1]
    if width % HEAD_SIZE:
        raise ValueError(f"{shapes_file}: width {width} is not a multiple of GPT-1's head size {HEAD_SIZE}")
    block = {
        "attn.c_attn.w": [1, width, 3 * width],  # [1, in, out]: q, k and v side by side
        "attn.c_attn.b": [3 * width],
        "attn.c_proj.w": [1, width, width],
        "attn.c_proj.b": [width],
        "ln_1.g": [width],
        "ln_1.b": [width],
        "mlp.c_fc.w": [1, width, inner],
        "mlp.c_fc.b": [inner],
        "mlp.c_proj.w": [1, inner, width],
        "mlp.c_proj.b": [width],
        "ln_2.g": [width],
        "ln_2.b": [width],
    }
    for name, shape in shapes.items():
        if name in ("positions", "tokens"):
            expected = [shape[0], width]
        else:
            expected = block[name.split(".", 2)[2]]
        if shape != expected:
            raise ValueError(f"{shapes_file}: {name}: expected {expected}, found {shape}")


def read_shard(path: Path) -> np.ndarray:
    """One piece of the flat array, read without pickle."""
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise ValueError(f"{path}: not a complete .npy array ({error})") from None
    if array.dtype != np.float32 or array.ndim != 1:
        raise ValueError(f"{path}: expected a 1-D float32 array, found a {array.ndim}-D {array.dtype} one")
    return array


def our_key(name: str) -> str:
    """Our state-dict key of a release array: `h.0.ln_1.g` -> `transformer.h.0.ln_1.weight`."""
    if name in ("positions", "tokens"):
        return f"transformer.{name}_embed.weight"
    module, kind = name.rsplit(".", 1)
    return f"transformer.{module}.{'bias' if kind == 'b' else 'weight'}"


def our_tensor(name: str, array: np.ndarray) -> torch.Tensor:
    """The release array `name` as our tensor: the `w` arrays transposed into `nn.Linear` weights."""
    if name.endswith(".w"):
        array = np.ascontiguousarray(array[0].T)  # [1, in, out] (x @ w) -> [out, in] (nn.Linear)
    return torch.from_numpy(array)


def write_gpt1(model: GPT1PreTrainedModel, tokenizer: GPT1Tokenizer, folder: Path):
    """Weights, config with `auto_map`, code, tokenizer and model card: a folder ready for the Hub."""
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    write_card(folder)


def write_openai_gpt(model: GPT1PreTrainedModel, tokenizer: GPT1Tokenizer, folder: Path):
    """The files of the Hub's `openai-community/openai-gpt`: weights, config, vocab.json, merges.txt, tokenizer."""
    to_openai_gpt(model).save_pretrained(folder)
    port_tokenizer = OpenAIGPTTokenizer(
        vocab=tokenizer.encoder, merges=tokenizer.merges, model_max_length=tokenizer.model_max_length
    )
    port_tokenizer.save_pretrained(folder)
    tokenizer.save_vocabulary(folder)


LOADERS = {"release": load_release, "openai-gpt": load_openai_gpt, "gpt1": load_gpt1}
WRITERS = {"gpt1": write_gpt1, "openai-gpt": write_openai_gpt}


def build_parser() -> argparse.ArgumentParser:
    """The command line of `gpt1-convert`."""
    parser = argparse.ArgumentParser(
        prog="gpt1-convert",
        description="Convert GPT-1 weights: the original release (params_shapes.json + params_0..9.npy + "
        "encoder_bpe_40000.json + vocab_40000.bpe), a transformers openai-gpt folder, or a folder of ours.",
    )
    parser.add_argument("src", help="folder holding the checkpoint to convert (its layout is detected)")
    parser.add_argument("dst", help="new folder to write (must not exist, or be empty)")
    parser.add_argument(
        "--to", choices=TARGETS, default="gpt1", help="gpt1: this package's folder (default); openai-gpt: the port's"
    )
    return parser


def main(argv=None):
    """`gpt1-convert SRC DST [--to gpt1|openai-gpt]`; bad input ends with exit status 2 and one error line."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        convert(args.src, args.dst, to=args.to)
    except (ValueError, OSError) as error:
        parser.error(str(error))


if __name__ == "__main__":
    main()
