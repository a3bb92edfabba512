"""GPT-1 configuration: the paper's network and fine-tuning settings as transformers fields."""

import copy
import math

from huggingface_hub.dataclasses import StrictDataclassFieldValidationError, strict
from transformers import PreTrainedConfig
from transformers.activations import ACT2FN

CLASSIFIER_TYPES = ("multiple_choice", "pooled")
LAYER_TYPES = ("full_attention", "sliding_attention")
# the activation's name in the configs of transformers' GPT-1 port and of GPT-2; here it is `hidden_act`
ACTIVATION_ALIASES = {
    "afn": "OpenAIGPTConfig's name; its 'gelu' is hidden_act='gelu_pytorch_tanh'",
    "activation_function": "GPT2Config's name",
}

# Where each Auto class finds our code in a saved folder, so that `trust_remote_code=True` loads
# work in a process that never imported this package. `register_for_auto_class` (in __init__.py)
# writes the code files but only the saved class's own entry; this map makes the other four complete.
AUTO_MAP = {
    "AutoConfig": "configuration_gpt1.GPT1Config",
    "AutoModel": "modeling_gpt1.GPT1Model",
    "AutoModelForCausalLM": "modeling_gpt1.GPT1LMHeadModel",
    "AutoModelForSequenceClassification": "modeling_gpt1.GPT1ForSequenceClassification",
    "AutoModelForMultipleChoice": "modeling_gpt1.GPT1ForMultipleChoice",
}

# GPT-2's options and vocabulary, shared by the GPT-2 and GPT-3 presets
GPT2_OPTIONS = {"vocab_size": 50257, "pre_layer_norm": True, "scale_residual_init": True}

# Named sizes for `GPT1Config.from_preset` (and `--config_name` of examples/run_pretraining.py): the paper's network,
# and a small one that pretrains in minutes on a CPU (the quick start, the ablation in miniature). GPT-1's init std
# of 0.02 suits its 768 width; at 128 the model stays at the unigram level far longer, so the small one uses 0.1.
CONFIG_PRESETS = {
    "gpt1": {},
    "gpt1-mini": {"n_layer": 4, "n_embd": 128, "n_head": 4, "n_positions": 128, "initializer_range": 0.1},
    # the four GPT-2 sizes (124M, 355M, 774M, 1.56B parameters)
    "gpt2": {**GPT2_OPTIONS, "n_positions": 1024},
    "gpt2-medium": {**GPT2_OPTIONS, "n_positions": 1024, "n_layer": 24, "n_embd": 1024, "n_head": 16},
    "gpt2-large": {**GPT2_OPTIONS, "n_positions": 1024, "n_layer": 36, "n_embd": 1280, "n_head": 20},
    "gpt2-xl": {**GPT2_OPTIONS, "n_positions": 1024, "n_layer": 48, "n_embd": 1600, "n_head": 25},
    # GPT-3 Small's shape (125M parameters) with its dense and locally banded layers in turn. The GPT-3 paper gives
    # no band width; 256 is our choice.
    "gpt3-small": {
        **GPT2_OPTIONS,
        "n_positions": 2048,
        "layer_types": ["full_attention", "sliding_attention"] * 6,
        "sliding_window": 256,
    },
}


@strict
class GPT1Config(PreTrainedConfig):
    """Configuration of a GPT-1 model; the defaults are the paper's 12-layer, 768-wide network.

    Besides the network, it holds the fine-tuning settings of the paper (section 3.2):

    Args:
        lm_coef: weight lambda of the auxiliary language-modelling loss added to the task loss.
        classifier_type: `"multiple_choice"` scores every sequence of an example with one number and
            takes a softmax across them (RACE, Story Cloze); `"pooled"` adds the extract-token states
            of an example's sequences and maps the sum to `num_labels` (classification, entailment,
            similarity; regression when `num_labels == 1`).
        start_token_id, delimiter_token_id, extract_token_id: the three tokens appended to the
            vocabulary for fine-tuning (`_start_`, `_delimiter_`, `_classify_` in the original code).

    GPT-2's options, off by default so that the network is GPT-1's:

    Args:
        pre_layer_norm: normalise the input of each sub-layer instead of each residual sum, and the output
            of the last block with a final LayerNorm (`ln_f`), as GPT-2.
        scale_residual_init: draw the weights of the projections that end each residual branch
            (`attn.c_proj`, `mlp.c_proj`) from N(0, initializer_range / sqrt(2 x layers)), as GPT-2.

    GPT-3's alternating dense and locally banded attention, named as transformers' Mistral, Gemma 2 and GPT-OSS
    name it (so that `DynamicCache(config=...)` keeps only the band's keys for local layers); both None by default,
    every layer dense:

    Args:
        layer_types: one entry per layer, `"full_attention"` (dense causal) or `"sliding_attention"` (local).
            When None and `sliding_window` is set, every layer is local, as in transformers.
        sliding_window: the local layers' band: the query at position i sees the keys at j with
            i - sliding_window < j <= i, itself and the `sliding_window - 1` tokens before it.
    """

    model_type = "gpt1"
    keys_to_ignore_at_inference = ["cache", "past_key_values"]  # the names before and after transformers 5.24
    attribute_map = {
        "n_embd": "hidden_size",
        "n_layer": "num_hidden_layers",
        "n_head": "num_attention_heads",
        "n_positions": "max_position_embeddings",
    }

    vocab_size: int = 40478  # 40,000 merges + 478 base symbols; the 3 fine-tuning tokens come on top
    max_position_embeddings: int = 512
    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int | None = None  # 4 x hidden_size (3072 for GPT-1) when not given
    hidden_act: str = "gelu_pytorch_tanh"  # the paper's GELU is the tanh approximation
    embd_pdrop: float | int = 0.1
    attn_pdrop: float | int = 0.1
    resid_pdrop: float | int = 0.1
    layer_norm_epsilon: float | int = 1e-5
    initializer_range: float | int = 0.02
    use_cache: bool = True
    tie_word_embeddings: bool = True
    pad_token_id: int | None = None
    bos_token_id: int | None = None
    eos_token_id: int | None = None

    lm_coef: float | int = 0.5
    classifier_dropout: float | int = 0.1
    classifier_type: str = "multiple_choice"
    pre_layer_norm: bool = False
    scale_residual_init: bool = False
    layer_types: list[str] | None = None
    sliding_window: int | None = None
    start_token_id: int | None = 40478
    delimiter_token_id: int | None = 40479
    extract_token_id: int | None = 40480

    def __post_init__(self, **kwargs):
        for alias, note in ACTIVATION_ALIASES.items():
            if alias in kwargs:
                # kept otherwise as an attribute nothing reads, leaving the activation at its default
                raise TypeError(f"GPT1Config names the activation hidden_act, got {alias}={kwargs[alias]!r} ({note})")
        super().__post_init__(**kwargs)
        if self.intermediate_size is None:
            self.intermediate_size = 4 * self.hidden_size
        if self.layer_types is None and self.sliding_window is not None:
            # a window without layer types makes every layer local (transformers' convention), said per layer so
            # that the model and the cache agree
            self.layer_types = ["sliding_attention"] * self.num_hidden_layers
        if getattr(self, "auto_map", None) is None:
            self.auto_map = dict(AUTO_MAP)
        self._check_fields()

    def _check_fields(self):
        """Raise a ValueError naming the first field whose value the model cannot be built with (the types were
        checked as each field was set)."""
        for name in ("vocab_size", "max_position_embeddings", "hidden_size", "num_hidden_layers"):
            if getattr(self, name) < 1:
                raise ValueError(f"GPT1Config.{name} must be a positive integer, got {getattr(self, name)}")
        if self.num_attention_heads < 1 or self.hidden_size % self.num_attention_heads:
            raise ValueError(
                f"GPT1Config.num_attention_heads ({self.num_attention_heads}) must be positive and divide "
                f"hidden_size ({self.hidden_size})"
            )
        if self.intermediate_size < 1:
            raise ValueError(f"GPT1Config.intermediate_size must be a positive integer, got {self.intermediate_size}")
        for name in ("embd_pdrop", "attn_pdrop", "resid_pdrop", "classifier_dropout"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"GPT1Config.{name} must be in [0, 1), got {getattr(self, name)}")
        # NaN fails every comparison, so each test is written to pass only for a good value
        if not (math.isfinite(self.layer_norm_epsilon) and self.layer_norm_epsilon > 0):
            raise ValueError(
                f"GPT1Config.layer_norm_epsilon must be finite and positive, got {self.layer_norm_epsilon}"
            )
        for name in ("initializer_range", "lm_coef"):
            if not (math.isfinite(getattr(self, name)) and getattr(self, name) >= 0):
                raise ValueError(f"GPT1Config.{name} must be finite and >= 0, got {getattr(self, name)}")
        if self.hidden_act not in ACT2FN:
            raise ValueError(
                f"GPT1Config.hidden_act must be one of transformers' activations ({', '.join(sorted(ACT2FN))}), "
                f"got {self.hidden_act!r}"
            )
        if self.classifier_type not in CLASSIFIER_TYPES:
            raise ValueError(
                f"GPT1Config.classifier_type must be one of {CLASSIFIER_TYPES}, got {self.classifier_type!r}"
            )
        if self.sliding_window is not None and self.sliding_window < 1:
            raise ValueError(f"GPT1Config.sliding_window must be positive (or None), got {self.sliding_window}")
        if self.layer_types is not None:
            unknown = [layer_type for layer_type in self.layer_types if layer_type not in LAYER_TYPES]
            if unknown:
                raise ValueError(f"GPT1Config.layer_types entries must be one of {LAYER_TYPES}, got {unknown[0]!r}")
            if len(self.layer_types) != self.num_hidden_layers:
                raise ValueError(
                    f"GPT1Config.layer_types has {len(self.layer_types)} entries, but num_hidden_layers is "
                    f"{self.num_hidden_layers}; give one per layer"
                )
            if "sliding_attention" in self.layer_types and self.sliding_window is None:
                raise ValueError(
                    "GPT1Config.layer_types has sliding_attention layers, but sliding_window is None; set the window"
                )
        task_ids = {}
        for name in ("start_token_id", "delimiter_token_id", "extract_token_id"):
            value = getattr(self, name)
            if value is None:
                continue
            if value < 0:
                raise ValueError(f"GPT1Config.{name} must be >= 0, got {value}")
            if value in task_ids:
                raise ValueError(f"GPT1Config.{name} ({value}) is the same id as {task_ids[value]}")
            task_ids[value] = name
        for name in ("pad_token_id", "bos_token_id", "eos_token_id"):
            value = getattr(self, name)
            if value is not None and not 0 <= value < self.vocab_size:
                raise ValueError(f"GPT1Config.{name} must be in [0, vocab_size={self.vocab_size}), got {value}")

    @classmethod
    def from_preset(cls, name: str, **kwargs) -> "GPT1Config":
        """The config of a named size (`CONFIG_PRESETS`) with `kwargs` on top.

        A preset's `layer_types` pattern repeats to the depth that `kwargs` ask for, unless they give their own.
        """
        if name not in CONFIG_PRESETS:
            raise ValueError(f"unknown GPT-1 preset {name!r}; the presets are {', '.join(CONFIG_PRESETS)}")
        preset = copy.deepcopy(CONFIG_PRESETS[name])  # the config must not share the preset's lists
        depth = kwargs.get("n_layer", kwargs.get("num_hidden_layers"))
        if "layer_types" in preset and "layer_types" not in kwargs and depth is not None:
            pattern = preset["layer_types"]
            preset["layer_types"] = [pattern[i % len(pattern)] for i in range(depth)]
        return cls(**{**preset, **kwargs})

    def validate_token_ids(self):
        """Replaces transformers' warning: the fine-tuning token ids may lie past a plain LM's vocabulary."""


def type_name(annotation) -> str:
    """A field's type as an error message writes it: `int`, `float | int`, `list[str] | None`."""
    return annotation.__name__ if isinstance(annotation, type) else str(annotation)


STRICT_SETATTR = GPT1Config.__setattr__


def checked_setattr(config: GPT1Config, name: str, value):
    """Set a field, its type checked by huggingface_hub's `strict` under the paper's names too, and its error
    raised as a TypeError (ValueError) naming GPT1Config's field, the type expected and the value given."""
    name = GPT1Config.attribute_map.get(name, name)  # `strict` checks only the canonical names
    if name == "num_labels" and (not isinstance(value, int) or isinstance(value, bool)):
        # a property of transformers' config, not a field: `strict` does not check it
        raise TypeError(f"GPT1Config.num_labels must be int, got {type(value).__name__} {value!r}")
    try:
        STRICT_SETATTR(config, name, value)
    except StrictDataclassFieldValidationError as error:
        if not isinstance(error.__cause__, TypeError):
            raise ValueError(f"GPT1Config.{name}: {error.__cause__}") from error
        expected = type_name(GPT1Config.__dataclass_fields__[name].type)
        raise TypeError(f"GPT1Config.{name} must be {expected}, got {type(value).__name__} {value!r}") from None


# `strict` wraps the class's own `__setattr__` in its checks, so the translation of its errors goes on top, here
GPT1Config.__setattr__ = checked_setattr


__all__ = ["CONFIG_PRESETS", "GPT1Config"]
