# src/libsora-mime: filled in by its own change
