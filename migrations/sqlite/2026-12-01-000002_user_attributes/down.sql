ALTER TABLE user_addresses DROP COLUMN postal_code_norm;
ALTER TABLE user_addresses DROP COLUMN postal_code;
ALTER TABLE user_addresses DROP COLUMN street_address_norm;
ALTER TABLE user_addresses DROP COLUMN street_address;
ALTER TABLE user_addresses DROP COLUMN formatted_norm;
ALTER TABLE user_addresses DROP COLUMN formatted;
ALTER TABLE users DROP COLUMN attributes_norm;
ALTER TABLE users DROP COLUMN attributes;
