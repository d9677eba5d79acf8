"""Helpers of bench/quality.py, the draft-quality harness: the brief set (`briefs`), what is
measured on one draft (`measure`), the run's aggregates and the comparison with an earlier run
(`aggregate`), and the Markdown report (`report`). Split by noun so each stays small; nothing
here is shipped (bench/ is not part of the wheel)."""
