-- Accounts and their credentials.
--
-- An account has one primary address and any number of further credentials
-- (aliases), each with a password of its own. Addresses are stored lower-case
-- and are unique across live and soft-deleted accounts, so a deleted account
-- can be restored with its addresses.

CREATE TABLE accounts (
    id           bigserial   PRIMARY KEY,
    display_name text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    deleted_at   timestamptz
);

CREATE TABLE credentials (
    id            bigserial   PRIMARY KEY,
    account_id    bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    address       text        NOT NULL,
    password_hash text        NOT NULL,
    is_primary    boolean     NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT credentials_address_lower CHECK (address = lower(address)),
    CONSTRAINT credentials_address_form CHECK (address ~ '^[^@[:space:]]+@[^@[:space:]]+$')
);

CREATE UNIQUE INDEX credentials_address_key ON credentials (address);
CREATE UNIQUE INDEX credentials_one_primary ON credentials (account_id) WHERE is_primary;
CREATE INDEX credentials_account ON credentials (account_id);
