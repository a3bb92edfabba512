"""GPT-1 as a transformers model; importing the package registers it with the Auto classes."""

from transformers import (
    AutoConfig,
    AutoModel,
    AutoModelForCausalLM,
    AutoModelForMultipleChoice,
    AutoModelForSequenceClassification,
)

from .configuration_gpt1 import GPT1Config
from .modeling_gpt1 import (
    GPT1DoubleHeads,
    GPT1DoubleHeadsOutput,
    GPT1ForMultipleChoice,
    GPT1ForSequenceClassification,
    GPT1LMHeadModel,
    GPT1Model,
    GPT1PreTrainedModel,
)

AutoConfig.register(GPT1Config.model_type, GPT1Config)
AutoModel.register(GPT1Config, GPT1Model)
AutoModelForCausalLM.register(GPT1Config, GPT1LMHeadModel)
AutoModelForSequenceClassification.register(GPT1Config, GPT1ForSequenceClassification)
AutoModelForMultipleChoice.register(GPT1Config, GPT1ForMultipleChoice)

__all__ = [
    "GPT1Config",
    "GPT1PreTrainedModel",
    "GPT1Model",
    "GPT1LMHeadModel",
    "GPT1DoubleHeads",
    "GPT1DoubleHeadsOutput",
    "GPT1ForSequenceClassification",
    "GPT1ForMultipleChoice",
]
