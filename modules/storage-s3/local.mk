# modules/storage-s3: filled in by its own change
