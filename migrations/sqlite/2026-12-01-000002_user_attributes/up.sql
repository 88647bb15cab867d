-- Every attribute of RFC 7643 §4.1 User and §4.3 enterprise extension. What must be unique or is looked up by
-- key keeps its indexed column; every other attribute lives in `users.attributes`, one JSON object keyed by the
-- attributes' canonical names (docs/architecture.md, "Where a User attribute lives"). Addresses gain the
-- sub-attributes they lacked. Keep in step with ../../postgres/2026-12-01-000002_user_attributes.

ALTER TABLE users ADD COLUMN attributes TEXT NOT NULL DEFAULT '{}';
-- The same document with case-insensitive strings folded: what filters and sorting read.
ALTER TABLE users ADD COLUMN attributes_norm TEXT NOT NULL DEFAULT '{}';

ALTER TABLE user_addresses ADD COLUMN formatted TEXT;
ALTER TABLE user_addresses ADD COLUMN formatted_norm TEXT;
ALTER TABLE user_addresses ADD COLUMN street_address TEXT;
ALTER TABLE user_addresses ADD COLUMN street_address_norm TEXT;
ALTER TABLE user_addresses ADD COLUMN postal_code TEXT;
ALTER TABLE user_addresses ADD COLUMN postal_code_norm TEXT;
