"""Data shipped with nanotui: the default roster, the task ladder and the themes."""
