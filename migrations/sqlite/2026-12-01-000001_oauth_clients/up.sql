-- OAuth 2.0 clients of the SCIM connection (client credentials, workload identity federation). Keep in step
-- with ../../postgres/ (same migration name) and crates/humbol-store/src/schema.rs. Only SHA-256 hashes of
-- client secrets and access tokens are stored.

CREATE TABLE oauth_clients (
    id           TEXT   NOT NULL PRIMARY KEY,
    org          TEXT   NOT NULL REFERENCES orgs (slug),
    client_id    TEXT   NOT NULL,
    name         TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    revoked_at   BIGINT,
    -- The one federated credential (RFC 7523 client assertions), all three set or none.
    fed_issuer   TEXT,
    fed_subject  TEXT,
    fed_audience TEXT
);
CREATE UNIQUE INDEX oauth_clients_client_id ON oauth_clients (client_id);
CREATE INDEX oauth_clients_org ON oauth_clients (org, created_at);

CREATE TABLE oauth_client_secrets (
    id           TEXT   NOT NULL PRIMARY KEY,
    client       TEXT   NOT NULL REFERENCES oauth_clients (id),
    org          TEXT   NOT NULL,
    hash         BLOB   NOT NULL,
    hint         TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE UNIQUE INDEX oauth_client_secrets_hash ON oauth_client_secrets (hash);
CREATE INDEX oauth_client_secrets_client ON oauth_client_secrets (client);

CREATE TABLE oauth_access_tokens (
    id         TEXT   NOT NULL PRIMARY KEY,
    client     TEXT   NOT NULL REFERENCES oauth_clients (id),
    org        TEXT   NOT NULL,
    hash       BLOB   NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX oauth_access_tokens_hash ON oauth_access_tokens (hash);
CREATE INDEX oauth_access_tokens_expiry ON oauth_access_tokens (org, expires_at);

-- Client assertions already exchanged, kept until they expire: a replayed `jti` is refused in every process.
CREATE TABLE oauth_used_assertions (
    issuer     TEXT   NOT NULL,
    jti        TEXT   NOT NULL,
    org        TEXT   NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (issuer, jti)
);
CREATE INDEX oauth_used_assertions_expiry ON oauth_used_assertions (expires_at);
