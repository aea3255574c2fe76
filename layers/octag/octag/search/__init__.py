"""Search: the Korean tokenizer, the embedders and the hybrid (keyword + vector) query."""
