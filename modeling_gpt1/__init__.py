"""GPT-1 as a transformers model; importing the package registers it with the Auto classes."""

from transformers import (
    AutoConfig,
    AutoModel,
    AutoModelForCausalLM,
    AutoModelForMultipleChoice,
    AutoModelForSequenceClassification,
    AutoTokenizer,
)

from .configuration_gpt1 import CONFIG_PRESETS, GPT1Config
from .modeling_gpt1 import (
    GPT1DoubleHeads,
    GPT1DoubleHeadsOutput,
    GPT1ForMultipleChoice,
    GPT1ForSequenceClassification,
    GPT1LMHeadModel,
    GPT1Model,
    GPT1PreTrainedModel,
)
from .tokenization_gpt1 import GPT1Tokenizer

# `register_for_auto_class` makes `save_pretrained` write the code files beside the weights, and the
# Auto class into the config's `auto_map`, for `trust_remote_code=True` users
GPT1Config.register_for_auto_class()
GPT1Model.register_for_auto_class("AutoModel")
GPT1LMHeadModel.register_for_auto_class("AutoModelForCausalLM")
GPT1DoubleHeads.register_for_auto_class("AutoModelForMultipleChoice")
GPT1ForMultipleChoice.register_for_auto_class("AutoModelForMultipleChoice")
GPT1ForSequenceClassification.register_for_auto_class("AutoModelForSequenceClassification")
GPT1Tokenizer.register_for_auto_class("AutoTokenizer")

AutoConfig.register(GPT1Config.model_type, GPT1Config)
AutoModel.register(GPT1Config, GPT1Model)
AutoModelForCausalLM.register(GPT1Config, GPT1LMHeadModel)
AutoModelForSequenceClassification.register(GPT1Config, GPT1ForSequenceClassification)
AutoModelForMultipleChoice.register(GPT1Config, GPT1ForMultipleChoice)
AutoTokenizer.register(GPT1Config, GPT1Tokenizer)

__all__ = [
    "CONFIG_PRESETS",
    "GPT1Config",
    "GPT1PreTrainedModel",
    "GPT1Model",
    "GPT1LMHeadModel",
    "GPT1DoubleHeads",
    "GPT1DoubleHeadsOutput",
    "GPT1ForSequenceClassification",
    "GPT1ForMultipleChoice",
    "GPT1Tokenizer",
]
