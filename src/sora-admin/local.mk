# src/sora-admin
