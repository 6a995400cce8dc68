"""Top-level names the reference exports that tfx defines in submodules (no imports here:
`tfx_core/__init__.py` reads these tables to resolve the names lazily)."""

#: Generation classes scripts import from the top level (`from transformers import ...`).
GENERATION = (
    "AlternatingCodebooksLogitsProcessor",
    "ClassifierFreeGuidanceLogitsProcessor",
    "ConfidenceCriteria",
    "EncoderNoRepeatNGramLogitsProcessor",
    "EncoderRepetitionPenaltyLogitsProcessor",
    "EosTokenCriteria",
    "EpsilonLogitsWarper",
    "EtaLogitsWarper",
    "ExponentialDecayLengthPenalty",
    "ForcedBOSTokenLogitsProcessor",
    "ForcedEOSTokenLogitsProcessor",
    "GenerationMixin",
    "InfNanRemoveLogitsProcessor",
    "LogitNormalization",
    "LogitsProcessor",
    "LogitsProcessorList",
    "MaxLengthCriteria",
    "MaxTimeCriteria",
    "MinLengthLogitsProcessor",
    "MinNewTokensLengthLogitsProcessor",
    "MinPLogitsWarper",
    "NoBadWordsLogitsProcessor",
    "NoRepeatNGramLogitsProcessor",
    "PrefixConstrainedLogitsProcessor",
    "RepetitionPenaltyLogitsProcessor",
    "SequenceBiasLogitsProcessor",
    "StopStringCriteria",
    "StoppingCriteria",
    "StoppingCriteriaList",
    "SuppressTokensAtBeginLogitsProcessor",
    "SuppressTokensLogitsProcessor",
    "TemperatureLogitsWarper",
    "TopKLogitsWarper",
    "TopPLogitsWarper",
    "TypicalLogitsWarper",
    "UnbatchedClassifierFreeGuidanceLogitsProcessor",
    "WatermarkLogitsProcessor",
)

#: Pipeline classes (`from transformers import TextClassificationPipeline`).
PIPELINES = (
    "AudioClassificationPipeline",
    "AutomaticSpeechRecognitionPipeline",
    "FeatureExtractionPipeline",
    "FillMaskPipeline",
    "ImageClassificationPipeline",
    "ImageFeatureExtractionPipeline",
    "NerPipeline",
    "QuestionAnsweringPipeline",
    "SummarizationPipeline",
    "Text2TextGenerationPipeline",
    "TextClassificationPipeline",
    "TextGenerationPipeline",
    "TokenClassificationPipeline",
    "TranslationPipeline",
    "ZeroShotClassificationPipeline",
    "ZeroShotImageClassificationPipeline",
)

#: Utilities from the reference's docs: name -> defining module.
UTILITIES = {
    "infer_device": "tfx_core.utils.devices",
    "PreTrainedModel": "tfx_core.modeling.torch.base",
}
