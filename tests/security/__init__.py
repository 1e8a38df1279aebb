"""Security tests: each class of hole issue 10 found, tried against the real stack."""
