"""Sign-offs: a named person acknowledging a checkpoint decision, audited."""
