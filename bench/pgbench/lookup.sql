-- pgbench script: the statement of scim-api's look-up by userName (the token check and the user with its
-- emails and addresses, one statement; see humbol-store's users.rs, `token_and_user!`), one per transaction.
--   pgbench -M prepared -f bench/pgbench/lookup.sql -D users=N -D hash=HEX -D now=MICROS ...
\set i random(0, :users - 1)
SELECT t.id, o.slug, o.name, o.scim_enabled, o.roles, o.default_role, o.created, o.updated, u.id, u.user_name,
       u.external_id, u.display_name, u.active, u.title, u.preferred_language, u.name_formatted, u.given_name,
       u.family_name, u.role, u.role_primary, u.department, u.manager_id, u.created, u.last_modified, u.version,
       u.attributes, e.*, a.*
FROM scim_tokens t
JOIN orgs o ON o.slug = t.org
LEFT JOIN users u ON u.org = o.slug AND u.user_name_norm = ('user' || :i::text || '@contoso.com')
LEFT JOIN user_emails e ON e.user_id = u.id
LEFT JOIN user_addresses a ON a.user_id = u.id
WHERE t.hash = decode(:hash, 'hex') AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > :now::bigint);
