"""Conversion to and from transformers' port: exact round trips, and loading a folder the port saved."""

import pytest
import torch
from conftest import EXTRACT

from modeling_gpt1 import GPT1DoubleHeads, GPT1LMHeadModel, GPT1Model
from modeling_gpt1.convert import from_openai_gpt, to_openai_gpt


def assert_state_dicts_identical(left, right):
    assert left.keys() == right.keys()
    for key in left:
        assert left[key].dtype == right[key].dtype, key
        assert torch.equal(left[key], right[key]), key


@pytest.mark.parametrize("model_class", [GPT1Model, GPT1LMHeadModel, GPT1DoubleHeads])
def test_ours_to_port_to_ours_is_bit_identical(model_class, tiny_config):
    torch.manual_seed(0)
    model = model_class(tiny_config)
    restored = from_openai_gpt(to_openai_gpt(model))
    assert type(restored) is model_class
    assert_state_dicts_identical(model.state_dict(), restored.state_dict())


@pytest.mark.parametrize("model_class", [GPT1Model, GPT1LMHeadModel, GPT1DoubleHeads])
def test_from_a_folder_saved_by_the_port(model_class, tiny_config, tmp_path):
    torch.manual_seed(0)
    port = to_openai_gpt(model_class(tiny_config))
    port.save_pretrained(tmp_path)
    ours = from_openai_gpt(tmp_path)
    assert type(ours) is model_class
    assert_state_dicts_identical(to_openai_gpt(ours).state_dict(), port.state_dict())


def test_from_openai_gpt_takes_the_settings_the_port_has_no_field_for(tiny_config):
    port = to_openai_gpt(GPT1DoubleHeads(tiny_config))
    ours = from_openai_gpt(port, extract_token_id=EXTRACT, lm_coef=0.25)
    assert ours.config.extract_token_id == EXTRACT and ours.config.lm_coef == 0.25
