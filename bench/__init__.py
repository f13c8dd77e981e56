"""`make bench`: the product's figures beside baselines measured in the same run (see README.md)."""
