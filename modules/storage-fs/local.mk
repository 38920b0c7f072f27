# modules/storage-fs: filled in by its own change
