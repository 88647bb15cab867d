-- Back to rowid tables (2026-11-28-000001_init's layout).

CREATE TABLE user_emails_rebuilt (
    user_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    value      TEXT    NOT NULL,
    value_norm TEXT    NOT NULL,
    kind       TEXT,
    kind_norm  TEXT,
    is_primary BOOLEAN NOT NULL,
    PRIMARY KEY (user_id, position)
);
INSERT INTO user_emails_rebuilt (user_id, position, value, value_norm, kind, kind_norm, is_primary)
    SELECT user_id, position, value, value_norm, kind, kind_norm, is_primary FROM user_emails;
DROP TABLE user_emails;
ALTER TABLE user_emails_rebuilt RENAME TO user_emails;
CREATE INDEX user_emails_value ON user_emails (value_norm);

CREATE TABLE user_addresses_rebuilt (
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
INSERT INTO user_addresses_rebuilt (user_id, position, kind, kind_norm, locality, locality_norm, region, region_norm, country, country_norm, is_primary)
    SELECT user_id, position, kind, kind_norm, locality, locality_norm, region, region_norm, country, country_norm, is_primary FROM user_addresses;
DROP TABLE user_addresses;
ALTER TABLE user_addresses_rebuilt RENAME TO user_addresses;
