"""One module per section of the benchmark; each creates its own polls and stops what it starts."""
