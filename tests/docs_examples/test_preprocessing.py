"""The preprocessing guide: tokenize, decode, batches with padding and truncation, pairs,
tensors; each run with the reference's imports and with `tfx_core`'s."""

TOKENIZE = """
from LIBRARY import AutoTokenizer

tokenizer = AutoTokenizer.from_pretrained(MODEL)
encoded_input = tokenizer(
    "Do not meddle in the affairs of wizards, for they are subtle and quick to anger."
)
batch_sentences = [
    "But what about second breakfast?",
    "Don't think he knows about second breakfast, Pip.",
    "What about elevensies?",
]
result = {
    "single": dict(encoded_input),
    "decoded": tokenizer.decode(encoded_input["input_ids"]),
    "batch": dict(tokenizer(batch_sentences)),
    "padded": dict(tokenizer(batch_sentences, padding=True)),
    "truncated": dict(tokenizer(batch_sentences, padding=True, truncation=True, max_length=8)),
    "tensors": {
        key: value.tolist()
        for key, value in tokenizer(
            batch_sentences, padding=True, truncation=True, return_tensors="pt"
        ).items()
    },
    "pairs": dict(tokenizer(["What about it?", "Pip."], ["Second breakfast.", "Yes."])),
    "tokens": tokenizer.tokenize("Don't think he knows about second breakfast"),
    "ids": tokenizer.convert_tokens_to_ids(["second", "breakfast"]),
    "batch_decode": tokenizer.batch_decode(
        tokenizer(batch_sentences)["input_ids"], skip_special_tokens=True
    ),
    "special": [tokenizer.pad_token, tokenizer.cls_token, tokenizer.sep_token,
                tokenizer.mask_token_id, tokenizer.model_max_length],
}
"""

EMBEDDINGS = """
import torch
from LIBRARY import AutoModel, AutoTokenizer

tokenizer = AutoTokenizer.from_pretrained(MODEL)
model = AutoModel.from_pretrained(MODEL)
inputs = tokenizer(["A cat sits.", "A dog runs in the park."], padding=True, return_tensors="pt")
with torch.no_grad():
    outputs = model(**inputs)
mask = inputs["attention_mask"].unsqueeze(-1).float()
embeddings = (outputs.last_hidden_state * mask).sum(1) / mask.sum(1)
embeddings = torch.nn.functional.normalize(embeddings, p=2, dim=1)
result = {
    "shape": list(outputs.last_hidden_state.shape),
    "similarity": (embeddings[0] @ embeddings[1]).item(),
    "pooler": outputs.pooler_output[:, :4],
}
"""


def test_tokenizer_preprocessing(check, minilm):
    expected, _ = check(TOKENIZE, MODEL=minilm)
    assert expected["decoded"].startswith("[CLS] do not meddle")


def test_model_outputs_for_embeddings(check, minilm):
    check(EMBEDDINGS, MODEL=minilm)
