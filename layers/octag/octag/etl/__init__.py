"""ETL: extract documents from files and S3, clean, chunk, tokenize, embed and load them as jobs."""
