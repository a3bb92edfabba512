"""GPT-1 configuration: the paper's network and fine-tuning settings as transformers fields."""

from huggingface_hub.dataclasses import strict
from transformers import PreTrainedConfig

CLASSIFIER_TYPES = ("multiple_choice", "pooled")

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

# Named sizes for `GPT1Config.from_preset` (and `--config_name` of examples/run_pretraining.py): the paper's network,
# and a small one that pretrains in minutes on a CPU (the quick start, the ablation in miniature). GPT-1's init std
# of 0.02 suits its 768 width; at 128 the model stays at the unigram level far longer, so the small one uses 0.1.
CONFIG_PRESETS = {
    "gpt1": {},
    "gpt1-mini": {"n_layer": 4, "n_embd": 128, "n_head": 4, "n_positions": 128, "initializer_range": 0.1},
    # GPT-2 small's shape and options (124M parameters with GPT-2's 50,257-token vocabulary)
    "gpt2": {"vocab_size": 50257, "n_positions": 1024, "pre_layer_norm": True, "scale_residual_init": True},
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
    """

    model_type = "gpt1"
    keys_to_ignore_at_inference = ["past_key_values"]
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
    start_token_id: int | None = 40478
    delimiter_token_id: int | None = 40479
    extract_token_id: int | None = 40480

    def __post_init__(self, **kwargs):
        super().__post_init__(**kwargs)
        if self.intermediate_size is None:
            self.intermediate_size = 4 * self.hidden_size
        if getattr(self, "auto_map", None) is None:
            self.auto_map = dict(AUTO_MAP)
        self._check_fields()

    def _check_fields(self):
        """Raise a ValueError naming the first field whose value the model cannot be built with."""
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
        if self.layer_norm_epsilon <= 0:
            raise ValueError(f"GPT1Config.layer_norm_epsilon must be positive, got {self.layer_norm_epsilon}")
        if self.initializer_range < 0:
            raise ValueError(f"GPT1Config.initializer_range must be >= 0, got {self.initializer_range}")
        if self.lm_coef < 0:
            raise ValueError(f"GPT1Config.lm_coef must be >= 0, got {self.lm_coef}")
        if self.classifier_type not in CLASSIFIER_TYPES:
            raise ValueError(
                f"GPT1Config.classifier_type must be one of {CLASSIFIER_TYPES}, got {self.classifier_type!r}"
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
        """The config of a named size (`CONFIG_PRESETS`) with `kwargs` on top."""
        if name not in CONFIG_PRESETS:
            raise ValueError(f"unknown GPT-1 preset {name!r}; the presets are {', '.join(CONFIG_PRESETS)}")
        return cls(**{**CONFIG_PRESETS[name], **kwargs})

    def validate_token_ids(self):
        """Replaces transformers' warning: the fine-tuning token ids may lie past a plain LM's vocabulary."""


__all__ = ["CONFIG_PRESETS", "GPT1Config"]
