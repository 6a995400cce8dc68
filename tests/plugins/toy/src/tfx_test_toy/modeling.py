"""A tiny torch model on the core's PreTrainedModel base, for Auto-class and loading tests."""

import torch
from torch import nn

from tfx_core.modeling.outputs import BaseModelOutput, SequenceClassifierOutput
from tfx_core.modeling.torch import PreTrainedModel
from tfx_test_toy.configuration import ToyConfig


class ToyPreTrainedModel(PreTrainedModel):
    config_class = ToyConfig
    base_model_prefix = "toy"

    def _init_weights(self, module):
        if isinstance(module, (nn.Linear, nn.Embedding)):
            module.weight.data.normal_(0.0, 0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            module.bias.data.zero_()


class ToyModel(ToyPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.embeddings = nn.Embedding(config.vocab_size, config.hidden_size)
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.post_init()

    def forward(self, input_ids, attention_mask=None):
        hidden = torch.tanh(self.dense(self.embeddings(input_ids)))
        return BaseModelOutput(last_hidden_state=hidden)


class ToyForSequenceClassification(ToyPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.toy = ToyModel(config)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(self, input_ids, attention_mask=None, labels=None):
        hidden = self.toy(input_ids).last_hidden_state
        return SequenceClassifierOutput(logits=self.classifier(hidden[:, 0]))
