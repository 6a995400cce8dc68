"""tfx-plugin-speech-to-text: Speech2Text for tfx (see `modeling_speech_to_text`)."""

__version__ = "0.1.0"
