-- Humbol's schema (SQLite). Keep in step with ../../postgres/ (same migration names) and
-- crates/humbol-store/src/schema.rs. Times: INTEGER microseconds since the epoch. *_norm: lowercased values of
-- case-insensitive attributes, used by filters, sorting and unique indexes.

CREATE TABLE orgs (
    slug         TEXT    NOT NULL PRIMARY KEY,
    name         TEXT    NOT NULL,
    scim_enabled BOOLEAN NOT NULL,
    roles        TEXT    NOT NULL,
    default_role TEXT    NOT NULL,
    created      BIGINT  NOT NULL,
    updated      BIGINT  NOT NULL
);

CREATE TABLE scim_tokens (
    id           TEXT   NOT NULL PRIMARY KEY,
    org          TEXT   NOT NULL REFERENCES orgs (slug),
    name         TEXT   NOT NULL,
    hash         BLOB   NOT NULL,
    hint         TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    expires_at   BIGINT,
    revoked_at   BIGINT
);
CREATE UNIQUE INDEX scim_tokens_hash ON scim_tokens (hash);
CREATE INDEX scim_tokens_org ON scim_tokens (org, created_at);

CREATE TABLE users (
    id                      TEXT    NOT NULL PRIMARY KEY,
    org                     TEXT    NOT NULL REFERENCES orgs (slug),
    user_name               TEXT    NOT NULL,
    user_name_norm          TEXT    NOT NULL,
    external_id             TEXT,
    display_name            TEXT,
    display_name_norm       TEXT,
    active                  BOOLEAN NOT NULL,
    title                   TEXT,
    title_norm              TEXT,
    preferred_language      TEXT,
    preferred_language_norm TEXT,
    name_formatted          TEXT,
    name_formatted_norm     TEXT,
    given_name              TEXT,
    given_name_norm         TEXT,
    family_name             TEXT,
    family_name_norm        TEXT,
    role                    TEXT,
    role_primary            BOOLEAN,
    department              TEXT,
    department_norm         TEXT,
    manager_id              TEXT,
    created                 BIGINT  NOT NULL,
    last_modified           BIGINT  NOT NULL,
    version                 BIGINT  NOT NULL
);
CREATE UNIQUE INDEX users_org_user_name ON users (org, user_name_norm);
CREATE UNIQUE INDEX users_org_external_id ON users (org, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX users_org_created ON users (org, created, id);
CREATE INDEX users_manager ON users (manager_id) WHERE manager_id IS NOT NULL;

CREATE TABLE user_emails (
    user_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    value      TEXT    NOT NULL,
    value_norm TEXT    NOT NULL,
    kind       TEXT,
    kind_norm  TEXT,
    is_primary BOOLEAN NOT NULL,
    PRIMARY KEY (user_id, position)
);
CREATE INDEX user_emails_value ON user_emails (value_norm);

CREATE TABLE user_addresses (
    user_id       TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    kind          TEXT,
    kind_norm     TEXT,
    locality      TEXT,
    locality_norm TEXT,
    region        TEXT,
    region_norm   TEXT,
    country       TEXT,
    country_norm  TEXT,
    is_primary    BOOLEAN NOT NULL,
    PRIMARY KEY (user_id, position)
);

CREATE TABLE "groups" (
    id                TEXT   NOT NULL PRIMARY KEY,
    org               TEXT   NOT NULL REFERENCES orgs (slug),
    display_name      TEXT   NOT NULL,
    display_name_norm TEXT   NOT NULL,
    external_id       TEXT,
    created           BIGINT NOT NULL,
    last_modified     BIGINT NOT NULL,
    version           BIGINT NOT NULL
);
CREATE UNIQUE INDEX groups_org_display_name ON "groups" (org, display_name_norm);
CREATE UNIQUE INDEX groups_org_external_id ON "groups" (org, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX groups_org_created ON "groups" (org, created, id);

CREATE TABLE group_members (
    group_id TEXT NOT NULL REFERENCES "groups" (id) ON DELETE CASCADE,
    user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    org           TEXT    NOT NULL,
    at            BIGINT  NOT NULL,
    actor         TEXT    NOT NULL,
    action        TEXT    NOT NULL,
    resource_type TEXT,
    resource_id   TEXT,
    outcome       TEXT    NOT NULL,
    detail        TEXT    NOT NULL
);
CREATE INDEX events_org ON events (org, id);
CREATE INDEX events_at ON events (at);
