"""Publishing to the networks: the contract (posts), one publisher per network."""
