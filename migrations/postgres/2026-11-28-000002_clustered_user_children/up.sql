-- A user's emails and addresses come from their primary-key index alone (index-only scans), not the index and
-- then the table: PostgreSQL's counterpart of ../../sqlite/2026-11-28-000002_clustered_user_children.

ALTER TABLE user_emails
    DROP CONSTRAINT user_emails_pkey,
    ADD PRIMARY KEY (user_id, position) INCLUDE (value, kind, is_primary);

ALTER TABLE user_addresses
    DROP CONSTRAINT user_addresses_pkey,
    ADD PRIMARY KEY (user_id, position) INCLUDE (kind, locality, region, country, is_primary);
