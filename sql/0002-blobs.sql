-- Message bodies, content-addressed.
--
-- A blob is the raw message as delivered (without the per-recipient
-- Return-Path and Delivered-To lines), keyed by the lowercase hex SHA-256 of
-- those bytes: the same message to many recipients, or delivered twice, is
-- one row and one object. A blob is 'pending' while it exists only in the
-- spool of spool_node, 'uploaded' once the blob driver holds it.

CREATE TABLE blobs (
    hash            text        PRIMARY KEY,
    raw_size        bigint      NOT NULL,
    stored_size     bigint      NOT NULL,
    compression     text        NOT NULL DEFAULT 'none',
    state           text        NOT NULL DEFAULT 'pending',
    spool_node      text        NOT NULL DEFAULT '',
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text        NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    uploaded_at     timestamptz,
    CONSTRAINT blobs_hash_form CHECK (hash ~ '^[0-9a-f]{64}$'),
    CONSTRAINT blobs_compression CHECK (compression IN ('none', 'zstd')),
    CONSTRAINT blobs_state CHECK (state IN ('pending', 'uploaded'))
);

-- The uploader's work list: small, since uploaded rows leave it.
CREATE INDEX blobs_pending ON blobs (spool_node, next_attempt_at) WHERE state = 'pending';
