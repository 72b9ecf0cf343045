"""One module per wire protocol; each turns an SDK stream into engine stream events."""
