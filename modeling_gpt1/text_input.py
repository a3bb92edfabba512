"""The check each text given to the tokenizer or to `encode_task` goes through, its errors naming the text."""


def check_text(text, where: str) -> str:
    """`text` as a str; UTF-8 bytes are decoded, anything else is refused naming `where`."""
    if isinstance(text, str):
        return text
    if isinstance(text, bytes):
        try:
            return text.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ValueError(f"{where} is not UTF-8: {error}") from None
    raise TypeError(f"{where} must be a str, got {type(text).__name__}")
