"""One catalogue per UI language (`it`, `en`); keys are shared, tests check both are complete."""
