"""GPT-1 weights between transformers' port (`openai-gpt`) and this package.

Both use the checkpoint's module names (`tokens_embed`, `h.N.attn.c_attn`, ...), so converting is
transposing the port's Conv1D weights (stored [in, out]) into `nn.Linear` ones ([out, in]) and
renaming the one classifier layer.
"""

import os

import transformers
from transformers import OpenAIGPTConfig, OpenAIGPTDoubleHeadsModel, OpenAIGPTLMHeadModel, OpenAIGPTModel

from .configuration_gpt1 import GPT1Config
from .modeling_gpt1 import GPT1DoubleHeads, GPT1LMHeadModel, GPT1Model, GPT1PreTrainedModel

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
    port_config = source.config
    if port_config.afn not in ACTIVATIONS:
        raise ValueError(f"the port's activation afn={port_config.afn!r} has no GPT-1 counterpart")
    config = GPT1Config(
        vocab_size=port_config.vocab_size,
        n_positions=port_config.n_positions,
        n_embd=port_config.n_embd,
        n_layer=port_config.n_layer,
        n_head=port_config.n_head,
        hidden_act=ACTIVATIONS[port_config.afn],
        embd_pdrop=float(port_config.embd_pdrop),
        attn_pdrop=float(port_config.attn_pdrop),
        resid_pdrop=float(port_config.resid_pdrop),
        layer_norm_epsilon=port_config.layer_norm_epsilon,
        initializer_range=port_config.initializer_range,
        classifier_dropout=float(port_config.summary_first_dropout),
        **config_kwargs,
    )
    model = OUR_CLASS[port_class](config)
    model.load_state_dict(converted_state(source, PORT_CLASSIFIER, OUR_CLASSIFIER), strict=True)
    return model.to(source.dtype).train(source.training)


def to_openai_gpt(model: GPT1PreTrainedModel):
    """transformers' `OpenAIGPT*` counterpart of one of our models, same weights."""
    if type(model) not in PORT_CLASS:
        raise ValueError(
            f"to_openai_gpt takes GPT1Model, GPT1LMHeadModel or GPT1DoubleHeads, got {type(model).__name__}"
        )
    config = model.config
    if config.intermediate_size != 4 * config.hidden_size:
        raise ValueError(
            f"transformers' port fixes intermediate_size to 4 x hidden_size; this model has {config.intermediate_size}"
        )
    afn = next((port for port, ours in ACTIVATIONS.items() if ours == config.hidden_act), None)
    if afn is None:
        raise ValueError(f"hidden_act={config.hidden_act!r} has no counterpart in transformers' port")
    if isinstance(model, GPT1DoubleHeads) and config.classifier_type != "multiple_choice":
        raise ValueError("transformers' OpenAIGPTDoubleHeadsModel has only the multiple-choice classifier")
    port_config = OpenAIGPTConfig(
        vocab_size=config.vocab_size,
        n_positions=config.max_position_embeddings,
        n_embd=config.hidden_size,
        n_layer=config.num_hidden_layers,
        n_head=config.num_attention_heads,
        afn=afn,
        embd_pdrop=config.embd_pdrop,
        attn_pdrop=config.attn_pdrop,
        resid_pdrop=config.resid_pdrop,
        layer_norm_epsilon=config.layer_norm_epsilon,
        initializer_range=config.initializer_range,
        summary_first_dropout=config.classifier_dropout,
    )
    port = PORT_CLASS[type(model)](port_config)
    port.load_state_dict(converted_state(model, OUR_CLASSIFIER, PORT_CLASSIFIER), strict=True)
    return port.to(model.dtype).train(model.training)


def converted_state(model, classifier_from: str, classifier_to: str) -> dict:
    """`model`'s state dict with the Conv1D/Linear weights transposed and the classifier renamed."""
    state = {}
    for key, value in model.state_dict().items():
        if key.endswith(CONV1D_WEIGHTS):
            value = value.t()
        state[key.replace(classifier_from, classifier_to)] = value.contiguous()
    return state


def _load_port(folder):
    """Load a transformers `openai-gpt` folder as the port class its config names."""
    port_config = OpenAIGPTConfig.from_pretrained(folder)
    architecture = (port_config.architectures or ["OpenAIGPTLMHeadModel"])[0]
    port_class = getattr(transformers, architecture, None)
    if port_class not in OUR_CLASS:
        raise ValueError(f"{folder}: architecture {architecture!r} is not one from_openai_gpt converts")
    return port_class.from_pretrained(folder)
