-- Humbol's schema (PostgreSQL). Keep in step with ../../sqlite/ (same migration names) and
-- crates/humbol-store/src/schema.rs. Times: BIGINT microseconds since the epoch. *_norm: lowercased values of
-- case-insensitive attributes, used by filters, sorting and unique indexes. Text columns are COLLATE "C": strings
-- compare and sort by code point, exactly as on SQLite (and as scim-core's filter evaluator).

CREATE TABLE orgs (
    slug         TEXT COLLATE "C"    NOT NULL PRIMARY KEY,
    name         TEXT COLLATE "C"    NOT NULL,
    scim_enabled BOOLEAN NOT NULL,
    roles        TEXT COLLATE "C"    NOT NULL,
    default_role TEXT COLLATE "C"    NOT NULL,
    created      BIGINT  NOT NULL,
    updated      BIGINT  NOT NULL
);

CREATE TABLE scim_tokens (
    id           TEXT COLLATE "C"   NOT NULL PRIMARY KEY,
    org          TEXT COLLATE "C"   NOT NULL REFERENCES orgs (slug),
    name         TEXT COLLATE "C"   NOT NULL,
    hash         BYTEA   NOT NULL,
    hint         TEXT COLLATE "C"   NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    expires_at   BIGINT,
    revoked_at   BIGINT
);
CREATE UNIQUE INDEX scim_tokens_hash ON scim_tokens (hash);
CREATE INDEX scim_tokens_org ON scim_tokens (org, created_at);

CREATE TABLE users (
    id                      TEXT COLLATE "C"    NOT NULL PRIMARY KEY,
    org                     TEXT COLLATE "C"    NOT NULL REFERENCES orgs (slug),
    user_name               TEXT COLLATE "C"    NOT NULL,
    user_name_norm          TEXT COLLATE "C"    NOT NULL,
    external_id             TEXT COLLATE "C",
    display_name            TEXT COLLATE "C",
    display_name_norm       TEXT COLLATE "C",
    active                  BOOLEAN NOT NULL,
    title                   TEXT COLLATE "C",
    title_norm              TEXT COLLATE "C",
    preferred_language      TEXT COLLATE "C",
    preferred_language_norm TEXT COLLATE "C",
    name_formatted          TEXT COLLATE "C",
    name_formatted_norm     TEXT COLLATE "C",
    given_name              TEXT COLLATE "C",
    given_name_norm         TEXT COLLATE "C",
    family_name             TEXT COLLATE "C",
    family_name_norm        TEXT COLLATE "C",
    role                    TEXT COLLATE "C",
    role_primary            BOOLEAN,
    department              TEXT COLLATE "C",
    department_norm         TEXT COLLATE "C",
    manager_id              TEXT COLLATE "C",
    created                 BIGINT  NOT NULL,
    last_modified           BIGINT  NOT NULL,
    version                 BIGINT  NOT NULL
);
CREATE UNIQUE INDEX users_org_user_name ON users (org, user_name_norm);
CREATE UNIQUE INDEX users_org_external_id ON users (org, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX users_org_created ON users (org, created, id);
CREATE INDEX users_manager ON users (manager_id) WHERE manager_id IS NOT NULL;

CREATE TABLE user_emails (
    user_id    TEXT COLLATE "C"    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    value      TEXT COLLATE "C"    NOT NULL,
    value_norm TEXT COLLATE "C"    NOT NULL,
    kind       TEXT COLLATE "C",
    kind_norm  TEXT COLLATE "C",
    is_primary BOOLEAN NOT NULL,
    PRIMARY KEY (user_id, position)
);
CREATE INDEX user_emails_value ON user_emails (value_norm);

CREATE TABLE user_addresses (
    user_id       TEXT COLLATE "C"    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    kind          TEXT COLLATE "C",
    kind_norm     TEXT COLLATE "C",
    locality      TEXT COLLATE "C",
    locality_norm TEXT COLLATE "C",
    region        TEXT COLLATE "C",
    region_norm   TEXT COLLATE "C",
    country       TEXT COLLATE "C",
    country_norm  TEXT COLLATE "C",
    is_primary    BOOLEAN NOT NULL,
    PRIMARY KEY (user_id, position)
);

CREATE TABLE "groups" (
    id                TEXT COLLATE "C"   NOT NULL PRIMARY KEY,
    org               TEXT COLLATE "C"   NOT NULL REFERENCES orgs (slug),
    display_name      TEXT COLLATE "C"   NOT NULL,
    display_name_norm TEXT COLLATE "C"   NOT NULL,
    external_id       TEXT COLLATE "C",
    created           BIGINT NOT NULL,
    last_modified     BIGINT NOT NULL,
    version           BIGINT NOT NULL
);
CREATE UNIQUE INDEX groups_org_display_name ON "groups" (org, display_name_norm);
CREATE UNIQUE INDEX groups_org_external_id ON "groups" (org, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX groups_org_created ON "groups" (org, created, id);

CREATE TABLE group_members (
    group_id TEXT COLLATE "C" NOT NULL REFERENCES "groups" (id) ON DELETE CASCADE,
    user_id  TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE events (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org           TEXT COLLATE "C"    NOT NULL,
    at            BIGINT  NOT NULL,
    actor         TEXT COLLATE "C"    NOT NULL,
    action        TEXT COLLATE "C"    NOT NULL,
    resource_type TEXT COLLATE "C",
    resource_id   TEXT COLLATE "C",
    outcome       TEXT COLLATE "C"    NOT NULL,
    detail        TEXT COLLATE "C"    NOT NULL
);
CREATE INDEX events_org ON events (org, id);
CREATE INDEX events_at ON events (at);
