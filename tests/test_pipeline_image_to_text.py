"""VisionEncoderDecoderModel and the image-to-text pipeline against transformers.

The reference builds a tiny ViT + GPT-2 captioner with `from_encoder_decoder_pretrained` (its
cross-attention starts random) and saves it with a small byte-level BPE tokenizer and a ViT image
processor; tfx loads that folder strictly. Decoding is greedy or beam search, so both libraries
must produce the same tokens.
"""

import json

import numpy as np
import pytest

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")
PIL = pytest.importorskip("PIL.Image")
pytest.importorskip("tfx_plugin_vit")
pytest.importorskip("tfx_plugin_gpt2")

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers  # noqa: E402

from tfx_core import (  # noqa: E402
    AutoModelForVision2Seq,
    VisionEncoderDecoderConfig,
    VisionEncoderDecoderModel,
    pipeline,
)
from tfx_core.errors import ConfigError, GenerationError, PipelineError  # noqa: E402
from tfx_core.pipelines import ImageToTextPipeline  # noqa: E402

EOS = "<|endoftext|>"
VIT = dict(
    image_size=32,
    patch_size=8,
    hidden_size=24,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=37,
)
CORPUS = ["a cat sitting on a red sofa", "two birds on a branch", "a dog runs in the park"] * 20


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def captioner(tmp_path_factory):
    root = tmp_path_factory.mktemp("vit-gpt2")
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=300, special_tokens=[EOS], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tokenizer.train_from_iterator(CORPUS, trainer)
    eos = tokenizer.token_to_id(EOS)
    torch.manual_seed(0)
    transformers.ViTModel(transformers.ViTConfig(**VIT)).save_pretrained(root / "encoder")
    decoder = transformers.GPT2Config(
        vocab_size=tokenizer.get_vocab_size(),
        n_positions=64,
        n_embd=32,
        n_layer=2,
        n_head=4,
        bos_token_id=eos,
        eos_token_id=eos,
        initializer_range=0.3,
    )
    transformers.GPT2LMHeadModel(decoder).save_pretrained(root / "decoder")
    reference = transformers.VisionEncoderDecoderModel.from_encoder_decoder_pretrained(
        str(root / "encoder"), str(root / "decoder")
    )
    torch.nn.init.normal_(reference.enc_to_dec_proj.weight, std=0.5)
    for config in (reference.config, reference.generation_config):
        config.decoder_start_token_id, config.pad_token_id, config.eos_token_id = eos, eos, eos
    model = root / "model"
    reference.save_pretrained(model)
    tokenizer.save(str(model / "tokenizer.json"))
    (model / "tokenizer_config.json").write_text(
        json.dumps(
            {
                "tokenizer_class": "GPT2Tokenizer",
                "bos_token": EOS,
                "eos_token": EOS,
                "unk_token": EOS,
                "add_prefix_space": False,
            }
        )
    )
    transformers.ViTImageProcessor(size=32).save_pretrained(model)
    return root


def _pixels(batch=2):
    return torch.randn(batch, 3, 32, 32, generator=torch.Generator().manual_seed(1))


def _images():
    rng = np.random.default_rng(0)
    return [
        PIL.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
        for h, w in [(40, 60), (33, 25), (32, 32)]
    ]


def test_logits_and_loss_match_the_reference(captioner):
    reference = transformers.VisionEncoderDecoderModel.from_pretrained(captioner / "model").eval()
    ours = AutoModelForVision2Seq.from_pretrained(captioner / "model", strict=True)
    assert isinstance(ours, VisionEncoderDecoderModel)
    assert isinstance(ours.config, VisionEncoderDecoderConfig)
    decoder_ids = torch.randint(0, 250, (2, 6), generator=torch.Generator().manual_seed(2))
    labels = decoder_ids.clone()
    labels[1, 4:] = -100
    with torch.no_grad():
        expected = reference(pixel_values=_pixels(), decoder_input_ids=decoder_ids, labels=labels)
        got = ours(pixel_values=_pixels(), decoder_input_ids=decoder_ids, labels=labels)
        from_labels = ours(pixel_values=_pixels(), labels=labels.clamp(min=0))
        reference_from_labels = reference(pixel_values=_pixels(), labels=labels.clamp(min=0))
    assert (got.logits - expected.logits).abs().max() <= 1e-5
    assert abs(got.loss.item() - expected.loss.item()) <= 1e-5
    assert (from_labels.logits - reference_from_labels.logits).abs().max() <= 1e-5


@pytest.mark.parametrize(
    "options",
    [{"max_new_tokens": 10}, {"max_new_tokens": 8, "num_beams": 3, "num_return_sequences": 2}],
)
def test_generate_matches_the_reference(captioner, options):
    reference = transformers.VisionEncoderDecoderModel.from_pretrained(captioner / "model").eval()
    ours = VisionEncoderDecoderModel.from_pretrained(captioner / "model")
    expected = reference.generate(_pixels(), **options)
    got = ours.generate(_pixels(), **options)
    assert got.tolist() == expected.tolist()
    assert len(set(map(tuple, got.tolist()))) > 1  # the captions differ: a real check


def test_save_loads_in_the_reference_and_back(captioner, tmp_path):
    ours = VisionEncoderDecoderModel.from_pretrained(captioner / "model")
    ours.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["model_type"] == "vision-encoder-decoder"
    reference = transformers.VisionEncoderDecoderModel.from_pretrained(tmp_path).eval()
    decoder_ids = torch.tensor([[3, 5, 7]])
    with torch.no_grad():
        expected = reference(pixel_values=_pixels(1), decoder_input_ids=decoder_ids).logits
        got = ours(pixel_values=_pixels(1), decoder_input_ids=decoder_ids).logits
    assert (got - expected).abs().max() <= 1e-5


def test_from_encoder_decoder_pretrained_has_the_reference_layout(captioner):
    ours = VisionEncoderDecoderModel.from_encoder_decoder_pretrained(
        str(captioner / "encoder"), str(captioner / "decoder")
    )
    reference = transformers.VisionEncoderDecoderModel.from_encoder_decoder_pretrained(
        str(captioner / "encoder"), str(captioner / "decoder")
    )
    assert isinstance(ours.config, VisionEncoderDecoderConfig)
    assert ours.config.decoder.add_cross_attention and ours.config.decoder.is_decoder
    theirs = {key: tuple(value.shape) for key, value in reference.state_dict().items()}
    mine = {key: tuple(value.shape) for key, value in ours.state_dict().items()}
    assert mine == theirs


def test_pipeline_matches_the_reference(captioner):
    folder = str(captioner / "model")
    ours = pipeline("image-to-text", model=folder)
    theirs = transformers.pipeline("image-to-text", model=folder, device="cpu")
    images = _images()
    expected = theirs(images, max_new_tokens=10)
    assert ours(images, max_new_tokens=10) == expected
    assert ours(images[0], max_new_tokens=10) == theirs(images[0], max_new_tokens=10)
    assert ours(images, batch_size=2, max_new_tokens=10) == expected
    beams = {"num_beams": 3, "num_return_sequences": 2, "max_new_tokens": 6}
    assert ours(images[1], generate_kwargs=beams) == theirs(images[1], generate_kwargs=beams)
    assert len({record["generated_text"] for result in expected for record in result}) > 1
    assert pipeline(model=folder).task == "image-to-text"


def test_errors_are_typed(captioner):
    ours = VisionEncoderDecoderModel.from_pretrained(captioner / "model")
    with pytest.raises(GenerationError, match="pixel_values"):
        ours.generate(input_ids=torch.tensor([[1, 2]]))
    with pytest.raises(GenerationError, match="pixel_values"):
        ours.generate(torch.zeros(3, 32, 32))
    pipe = pipeline("image-to-text", model=str(captioner / "model"))
    with pytest.raises(PipelineError, match="prompt"):
        pipe(_images()[0], prompt="a photo of")
    with pytest.raises(PipelineError, match="once"):
        pipe(_images()[0], max_new_tokens=3, generate_kwargs={"max_new_tokens": 4})
    with pytest.raises(PipelineError, match="cannot serve the task 'image-to-text'"):
        pipeline("image-to-text", model=str(captioner / "encoder"))
    with pytest.raises(PipelineError, match="needs an image-to-text model"):
        ImageToTextPipeline(ours.encoder, pipe.tokenizer, image_processor=pipe.image_processor)
    config = VisionEncoderDecoderConfig.from_encoder_decoder_configs(
        ours.config.encoder, ours.config.decoder
    )
    config.decoder.cross_attention_hidden_size = 7
    with pytest.raises(ConfigError, match="cross_attention_hidden_size"):
        VisionEncoderDecoderModel(config)


def test_deit_encoder_with_a_bert_decoder_matches_the_reference(tmp_path):
    pytest.importorskip("tfx_plugin_deit")
    pytest.importorskip("tfx_plugin_bert")
    torch.manual_seed(0)
    encoder = transformers.DeiTConfig(**{**VIT, "hidden_size": 32})
    transformers.DeiTModel(encoder).save_pretrained(tmp_path / "encoder")
    decoder = transformers.BertConfig(
        vocab_size=120,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=37,
        is_decoder=True,
        initializer_range=0.3,
    )
    transformers.BertLMHeadModel(decoder).save_pretrained(tmp_path / "decoder")
    reference = transformers.VisionEncoderDecoderModel.from_encoder_decoder_pretrained(
        str(tmp_path / "encoder"), str(tmp_path / "decoder")
    ).eval()
    for config in (reference.config, reference.generation_config):
        config.decoder_start_token_id, config.pad_token_id = 2, 0
    reference.save_pretrained(tmp_path / "model")
    ours = AutoModelForVision2Seq.from_pretrained(tmp_path / "model", strict=True)
    assert not hasattr(ours, "enc_to_dec_proj")  # same widths: no projection
    decoder_ids = torch.tensor([[2, 5, 9, 11], [2, 7, 3, 4]])
    with torch.no_grad():
        expected = reference(pixel_values=_pixels(), decoder_input_ids=decoder_ids).logits
        got = ours(pixel_values=_pixels(), decoder_input_ids=decoder_ids).logits
    assert (got - expected).abs().max() <= 1e-5
    options = {"max_new_tokens": 6, "num_beams": 2}
    assert ours.generate(_pixels(), **options).tolist() == (
        reference.generate(_pixels(), **options).tolist()
    )
