"""Streamers release text at word boundaries, CJK characters at once, never half a character."""

import threading

from tfx_core.generation import TextIteratorStreamer, TextStreamer

PIECES = ["Hello", " wor", "ld", ",", " 你", "好", " caf", b"\xc3", b"\xa9", "\n", "bye", " now"]


class PieceTokenizer:
    def __init__(self):
        self.pieces = [p.encode() if isinstance(p, str) else p for p in PIECES]

    def decode(self, ids, skip_special_tokens=False):
        return b"".join(self.pieces[i] for i in ids).decode("utf-8", errors="replace")


def stream(streamer, prompt, generated):
    streamer.put([prompt])
    for token in generated:
        streamer.put([token])
    streamer.end()


def test_iterator_streamer_yields_the_decoded_text():
    tokenizer = PieceTokenizer()
    generated = list(range(1, len(PIECES)))
    streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, timeout=5)
    thread = threading.Thread(target=stream, args=(streamer, 0, generated))
    thread.start()
    pieces = list(streamer)
    thread.join()
    assert "".join(pieces) == tokenizer.decode(generated)
    assert all("\ufffd" not in piece for piece in pieces)


def test_text_streamer_releases_at_boundaries(capsys):
    tokenizer = PieceTokenizer()
    printed = []

    class Recorder(TextStreamer):
        def on_finalized_text(self, text, stream_end=False):
            printed.append(text)

    streamer = Recorder(tokenizer)
    streamer.put([0])  # "Hello": may still grow
    assert printed == [""]
    streamer.put([1])  # "Hello wor": "Hello " is final
    assert printed[-1] == "Hello "
    for token in (2, 3, 4):  # "ld", ",", " 你" -> CJK is printed at once
        streamer.put([token])
    assert "".join(printed) == "Hello world, 你"
    streamer.put([6])
    streamer.put([7])  # half of "é"
    assert "\ufffd" not in "".join(printed)
    streamer.put([8])
    streamer.put([9])  # newline flushes
    assert "".join(printed) == "Hello world, 你 café\n"
    streamer.end()

    plain = TextStreamer(tokenizer, skip_prompt=True)
    stream(plain, 0, [10, 11])
    assert capsys.readouterr().out == "bye now\n"
