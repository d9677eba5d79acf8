"""Publishing for real: a brand's connected accounts (Mastodon, Bluesky), the durable outbox of
posts to publish exactly once, the worker that publishes them and reads their counts back, and
in-app notifications. One module per network (`mastodon`, `bluesky`) behind one contract
(`posts`), found by name in a small registry (`publishers`)."""
