"""Text utilities shared by knowledge and drafting: token counting (offline tiktoken), language
detection, short excerpts."""
