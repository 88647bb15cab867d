-- OAuth 2.0 clients of the SCIM connection (client credentials, workload identity federation). Keep in step
-- with ../../sqlite/ (same migration name) and crates/humbol-store/src/schema.rs. Only SHA-256 hashes of
-- client secrets and access tokens are stored.

CREATE TABLE oauth_clients (
    id           TEXT COLLATE "C"   NOT NULL PRIMARY KEY,
    org          TEXT COLLATE "C"   NOT NULL REFERENCES orgs (slug),
    client_id    TEXT COLLATE "C"   NOT NULL,
    name         TEXT COLLATE "C"   NOT NULL,
    created_at   BIGINT NOT NULL,
    revoked_at   BIGINT,
    -- The one federated credential (RFC 7523 client assertions), all three set or none.
    fed_issuer   TEXT COLLATE "C",
    fed_subject  TEXT COLLATE "C",
    fed_audience TEXT COLLATE "C"
);
CREATE UNIQUE INDEX oauth_clients_client_id ON oauth_clients (client_id);
CREATE INDEX oauth_clients_org ON oauth_clients (org, created_at);

CREATE TABLE oauth_client_secrets (
    id           TEXT COLLATE "C"   NOT NULL PRIMARY KEY,
    client       TEXT COLLATE "C"   NOT NULL REFERENCES oauth_clients (id),
    org          TEXT COLLATE "C"   NOT NULL,
    hash         BYTEA  NOT NULL,
    hint         TEXT COLLATE "C"   NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE UNIQUE INDEX oauth_client_secrets_hash ON oauth_client_secrets (hash);
CREATE INDEX oauth_client_secrets_client ON oauth_client_secrets (client);

CREATE TABLE oauth_access_tokens (
    id         TEXT COLLATE "C"   NOT NULL PRIMARY KEY,
    client     TEXT COLLATE "C"   NOT NULL REFERENCES oauth_clients (id),
    org        TEXT COLLATE "C"   NOT NULL,
    hash       BYTEA  NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX oauth_access_tokens_hash ON oauth_access_tokens (hash);
CREATE INDEX oauth_access_tokens_expiry ON oauth_access_tokens (org, expires_at);

-- Client assertions already exchanged, kept until they expire: a replayed `jti` is refused in every process.
CREATE TABLE oauth_used_assertions (
    issuer     TEXT COLLATE "C"   NOT NULL,
    jti        TEXT COLLATE "C"   NOT NULL,
    org        TEXT COLLATE "C"   NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (issuer, jti)
);
CREATE INDEX oauth_used_assertions_expiry ON oauth_used_assertions (expires_at);
