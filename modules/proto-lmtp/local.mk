# modules/proto-lmtp: filled in by its own change
