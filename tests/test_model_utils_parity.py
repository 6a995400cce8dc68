"""`PreTrainedModel` utilities (`tfx_core.modeling.torch.model_utils`) against the reference."""

import warnings

import pytest

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")
pytest.importorskip("tfx_plugin_bert")
pytest.importorskip("tfx_plugin_gpt2")

from tfx_core import AutoModel, AutoModelForCausalLM, AutoModelForMaskedLM  # noqa: E402
from tfx_core.errors import ConfigError, OfflineModeError  # noqa: E402

BERT = dict(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=2)
BERT.update(intermediate_size=32, max_position_embeddings=32, pad_token_id=0)
GPT2 = dict(vocab_size=50, n_embd=16, n_layer=2, n_head=2, n_positions=32, pad_token_id=0)


def _pair(tmp_path, ours_auto, reference_cls, config):
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = reference_cls(config).eval()
    reference.save_pretrained(tmp_path)
    return ours_auto.from_pretrained(tmp_path).eval(), reference


@pytest.fixture(scope="module")
def bert(tmp_path_factory):
    config = transformers.BertConfig(**BERT, hidden_dropout_prob=0.0)
    folder = tmp_path_factory.mktemp("bert")
    return _pair(folder, AutoModelForMaskedLM, transformers.BertForMaskedLM, config)


@pytest.fixture(scope="module")
def gpt2(tmp_path_factory):
    config = transformers.GPT2Config(**GPT2, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    folder = tmp_path_factory.mktemp("gpt2")
    return _pair(folder, AutoModelForCausalLM, transformers.GPT2LMHeadModel, config)


def test_counts_and_footprint_as_reference(bert):
    ours, ref = bert
    batch = {"input_ids": torch.ones(3, 7, dtype=torch.long)}
    params = ref.get_memory_footprint(return_buffers=False)
    assert ours.get_memory_footprint(return_buffers=False) == params
    buffers = sum(b.numel() * b.element_size() for b in ours.buffers())  # not the same set
    assert ours.get_memory_footprint() == params + buffers
    assert ours.estimate_tokens(batch) == ref.estimate_tokens(batch) == 21
    assert ours.floating_point_ops(batch) == ref.floating_point_ops(batch)
    assert ours.floating_point_ops(batch, False) == ref.floating_point_ops(batch, False)
    assert ours.estimate_tokens({"other": 1}) == 0
    assert torch.equal(ours.dummy_inputs["input_ids"], ref.dummy_inputs["input_ids"])
    assert ours.framework == ref.framework == "pt"


@pytest.mark.parametrize("is_decoder", [False, True])
def test_attention_masks_as_reference(bert, is_decoder):
    ours, ref = bert
    mask2 = torch.tensor([[1, 1, 1, 0], [0, 1, 1, 1]])
    mask3 = torch.randint(0, 2, (2, 4, 4))
    ours.config.is_decoder = ref.config.is_decoder = is_decoder
    try:
        for mask in (mask2, mask3):
            torch.testing.assert_close(
                ours.get_extended_attention_mask(mask, (2, 4)),
                ref.get_extended_attention_mask(mask, (2, 4)),
            )
            torch.testing.assert_close(
                ours.invert_attention_mask(mask), ref.invert_attention_mask(mask)
            )
    finally:
        ours.config.is_decoder = ref.config.is_decoder = False
    longer = torch.ones(2, 6, dtype=torch.long)  # 2 cached positions before 4 queries
    torch.testing.assert_close(
        ours.create_extended_attention_mask_for_decoder((2, 4), longer),
        ref.create_extended_attention_mask_for_decoder((2, 4), longer),
    )
    for head_mask in (torch.tensor([1.0, 0.0]), torch.ones(2, 2), None):
        for chunked in (False, True):
            expected = ref.get_head_mask(head_mask, 2, is_attention_chunked=chunked)
            got = ours.get_head_mask(head_mask, 2, is_attention_chunked=chunked)
            if head_mask is None:
                assert got == expected
            else:
                torch.testing.assert_close(got, expected)
    with pytest.raises(ConfigError, match="attention_mask"):
        ours.get_extended_attention_mask(torch.ones(1, 1, 1, 4), (1, 4))


def test_module_access_as_reference(bert, gpt2):
    ours, ref = bert
    names = ["bert.encoder.layer.0.attention.self.query.weight", "cls.predictions.bias"]
    ours_names = {id(m): n for n, m in ours.named_modules()}
    ref_names = {id(m): n for n, m in ref.named_modules()}
    for kwargs in ({}, {"remove_prefix": True}):
        got = [ours_names[id(m)] for m in ours.retrieve_modules_from_names(names, **kwargs)]
        expected = [ref_names[id(m)] for m in ref.retrieve_modules_from_names(names, **kwargs)]
        assert got == expected
    assert ours.get_parameter_or_buffer("cls.predictions.bias") is ours.cls.predictions.bias
    with pytest.raises(AttributeError):
        ours.get_parameter_or_buffer("nothing.here")
    assert type(ours).can_generate() == type(ref).can_generate()
    assert type(gpt2[0]).can_generate() == type(gpt2[1]).can_generate() is True
    assert gpt2[0].get_decoder() is gpt2[0].transformer
    fresh = torch.nn.Linear(16, 50, bias=False)
    gpt2_copy = type(gpt2[0])(gpt2[0].config)
    gpt2_copy.set_output_embeddings(fresh)
    assert gpt2_copy.get_output_embeddings() is fresh


def test_tags_plans_and_attention_choice(bert):
    ours, ref = bert
    for model in (ours, ref):
        model.add_model_tags("a")
        model.add_model_tags(["a", "b"])
    assert ours.model_tags == ref.model_tags == ["a", "b"]
    assert ours.tp_plan == {} and ours.supports_tp_plan is False and ours.tp_size is None
    ours.set_attn_implementation("eager")
    assert ours.config.attn_implementation == "eager"
    ours.set_attn_implementation("sdpa")
    with pytest.raises(ConfigError, match="flash"):
        ours.set_attn_implementation("flash_attention_9")
    with pytest.raises(ConfigError, match="not quantized"):
        ours.dequantize()


def test_gradient_checkpointing_gives_the_same_gradients(gpt2):
    ours, _ = gpt2
    model = type(ours)(ours.config)
    model.load_state_dict(ours.state_dict())
    model.train()
    ids = torch.randint(1, 50, (2, 6), generator=torch.Generator().manual_seed(0))

    def grads():
        model.zero_grad()
        model(ids, labels=ids).loss.backward()
        return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}

    plain = grads()
    assert model.supports_gradient_checkpointing and not model.is_gradient_checkpointing
    calls = []
    original = torch.utils.checkpoint.checkpoint

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    torch.utils.checkpoint.checkpoint = counting
    try:
        for options in (None, {"use_reentrant": False}):
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs=options)
            assert model.is_gradient_checkpointing
            checkpointed = grads()
            assert checkpointed.keys() == plain.keys()
            for name in plain:
                torch.testing.assert_close(checkpointed[name], plain[name], rtol=1e-5, atol=1e-6)
    finally:
        torch.utils.checkpoint.checkpoint = original
    assert len(calls) == 2 * model.config.n_layer
    model.gradient_checkpointing_disable()
    assert not model.is_gradient_checkpointing
    assert type(model.transformer.h[0]).__mro__[1] is not type(model.transformer.h[0])


def test_input_require_grads(bert):
    ours, _ = bert
    seen = []
    ours.enable_input_require_grads()
    hook = ours.get_input_embeddings().register_forward_hook(
        lambda m, i, o: seen.append(o.requires_grad)
    )
    with torch.no_grad():
        pass
    for p in ours.parameters():
        p.requires_grad_(False)
    try:
        ours(torch.ones(1, 3, dtype=torch.long))
        assert seen == [True]
    finally:
        hook.remove()
        ours.disable_input_require_grads()
        for p in ours.parameters():
            p.requires_grad_(True)
    with pytest.raises(ConfigError):
        ours.disable_input_require_grads()


def test_memory_hooks(bert):
    ours = AutoModel.from_config(bert[0].config)
    ours.add_memory_hooks()
    ours(torch.ones(1, 3, dtype=torch.long))
    assert isinstance(ours.embeddings.mem_rss_diff, int)
    ours.reset_memory_hooks_state()
    assert ours.embeddings.mem_rss_diff == 0


def test_push_to_hub_offline_is_refused_before_saving(bert, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(OfflineModeError):
        bert[0].push_to_hub("someone/tiny-bert")


def test_push_to_hub_uploads_a_saved_folder(bert, monkeypatch):
    import huggingface_hub

    uploaded = {}

    class FakeApi:
        def __init__(self, token=None):
            pass

        def create_repo(self, repo_id, private=None, exist_ok=True):
            uploaded["repo"] = repo_id

        def upload_folder(self, folder_path, **kwargs):
            from pathlib import Path

            uploaded["files"] = sorted(p.name for p in Path(folder_path).iterdir())
            return type("Info", (), {"commit_url": "https://hub/commit/1"})()

    monkeypatch.setattr("tfx_core.hub.is_offline", lambda: False)
    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    assert bert[0].push_to_hub("someone/tiny-bert") == "https://hub/commit/1"
    assert uploaded == {"repo": "someone/tiny-bert", "files": ["config.json", "model.safetensors"]}


def test_loss_functions_as_reference(bert, gpt2):
    from transformers.loss.loss_utils import LOSS_MAPPING

    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 5, 50, generator=gen)
    labels = torch.randint(0, 50, (2, 5), generator=gen)
    labels[0, :2] = -100
    count = torch.tensor(7)
    for model, kind in ((gpt2[0], "ForCausalLM"), (bert[0], "ForMaskedLM")):
        ours, reference = model.loss_function, LOSS_MAPPING[kind]
        for extra in ({}, {"num_items_in_batch": count}):
            torch.testing.assert_close(
                ours(logits, labels, vocab_size=50, **extra),
                reference(logits, labels, vocab_size=50, **extra),
            )
    from tfx_core.modeling.torch.loss_functions import loss_for_class

    config = transformers.BertConfig(num_labels=3)
    ours_config = type(bert[0].config)(num_labels=3)
    pooled = torch.randn(4, 3, generator=gen)
    for target in (torch.tensor([0, 2, 1, 1]), torch.rand(4, 3, generator=gen)):
        config.problem_type = ours_config.problem_type = None
        torch.testing.assert_close(
            loss_for_class("XForSequenceClassification")(target, pooled, ours_config),
            LOSS_MAPPING["ForSequenceClassification"](target, pooled, config),
        )
        assert ours_config.problem_type == config.problem_type
    token_logits = torch.randn(2, 5, 3, generator=gen)
    token_labels = torch.randint(0, 3, (2, 5), generator=gen)
    torch.testing.assert_close(
        loss_for_class("XForTokenClassification")(token_logits, token_labels, ours_config),
        LOSS_MAPPING["ForTokenClassification"](token_logits, token_labels, config),
    )
    start, end = torch.randn(3, 6, generator=gen), torch.randn(3, 6, generator=gen)
    positions = (torch.tensor([1, 9, 0]), torch.tensor([[2], [3], [7]]))
    torch.testing.assert_close(
        loss_for_class("XForQuestionAnswering")(start, end, *positions),
        LOSS_MAPPING["ForQuestionAnswering"](start, end, *positions),
    )
    replaced = gpt2[0].__class__(gpt2[0].config)
    replaced.loss_function = len
    assert replaced.loss_function is len


def test_compiled_call_and_init_context(bert):
    ours, _ = bert
    ids = torch.tensor([[2, 5, 7]])
    compiled = ours.get_compiled_call({"backend": "eager"})
    assert ours.get_compiled_call({"backend": "eager"}) is compiled
    with torch.no_grad():
        torch.testing.assert_close(compiled(ids).logits, ours(ids).logits)
    contexts = type(ours).get_init_context()
    with contexts[0]:
        built = torch.nn.Linear(2, 2)
    assert built.weight.device.type == "meta"
