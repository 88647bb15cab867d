ALTER TABLE user_emails
    DROP CONSTRAINT user_emails_pkey,
    ADD PRIMARY KEY (user_id, position);

ALTER TABLE user_addresses
    DROP CONSTRAINT user_addresses_pkey,
    ADD PRIMARY KEY (user_id, position);
