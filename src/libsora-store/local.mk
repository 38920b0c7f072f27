# src/libsora-store: filled in by its own change
