"""nanotui: run one agentic task on many models at once and rank them."""

__version__ = "0.1.0"
