"""Accuracy by sampling (抽样复核): the population from identification's and gradual exit's events, reproducible draws,
re-checks by someone other than the case handler, and the accuracy figures auditors compute from them."""
