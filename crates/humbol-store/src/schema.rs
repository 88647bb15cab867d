//! diesel `table!` definitions, mirroring `migrations/<backend>/`. Times are BIGINT microseconds since the
//! epoch; ids are UUID v4 text; `*_norm` columns hold the lowercased value of a case-insensitive attribute and
//! are what filters, sorting and unique indexes use.

diesel::table! {
    /// Organisations (tenants). `roles` is a JSON array of role names.
    orgs (slug) {
        slug -> Text,
        name -> Text,
        scim_enabled -> Bool,
        roles -> Text,
        default_role -> Text,
        created -> BigInt,
        updated -> BigInt,
    }
}

diesel::table! {
    /// SCIM bearer tokens: only the SHA-256 `hash` (unique index) of the secret is stored.
    scim_tokens (id) {
        id -> Text,
        org -> Text,
        name -> Text,
        hash -> Binary,
        hint -> Text,
        created_at -> BigInt,
        last_used_at -> Nullable<BigInt>,
        expires_at -> Nullable<BigInt>,
        revoked_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    /// Users: one column per single-valued Humbol attribute (the one role included).
    users (id) {
        id -> Text,
        org -> Text,
        user_name -> Text,
        user_name_norm -> Text,
        external_id -> Nullable<Text>,
        display_name -> Nullable<Text>,
        display_name_norm -> Nullable<Text>,
        active -> Bool,
        title -> Nullable<Text>,
        title_norm -> Nullable<Text>,
        preferred_language -> Nullable<Text>,
        preferred_language_norm -> Nullable<Text>,
        name_formatted -> Nullable<Text>,
        name_formatted_norm -> Nullable<Text>,
        given_name -> Nullable<Text>,
        given_name_norm -> Nullable<Text>,
        family_name -> Nullable<Text>,
        family_name_norm -> Nullable<Text>,
        role -> Nullable<Text>,
        role_primary -> Nullable<Bool>,
        department -> Nullable<Text>,
        department_norm -> Nullable<Text>,
        manager_id -> Nullable<Text>,
        created -> BigInt,
        last_modified -> BigInt,
        version -> BigInt,
        /// Every other attribute: one JSON object (`scim_core::resource::User::attributes`).
        attributes -> Text,
        attributes_norm -> Text,
    }
}

diesel::table! {
    /// `emails`, in the order sent (`position`).
    user_emails (user_id, position) {
        user_id -> Text,
        position -> Integer,
        value -> Text,
        value_norm -> Text,
        kind -> Nullable<Text>,
        kind_norm -> Nullable<Text>,
        is_primary -> Bool,
    }
}

diesel::table! {
    /// `addresses`, in the order sent (`position`).
    user_addresses (user_id, position) {
        user_id -> Text,
        position -> Integer,
        kind -> Nullable<Text>,
        kind_norm -> Nullable<Text>,
        locality -> Nullable<Text>,
        locality_norm -> Nullable<Text>,
        region -> Nullable<Text>,
        region_norm -> Nullable<Text>,
        country -> Nullable<Text>,
        country_norm -> Nullable<Text>,
        is_primary -> Bool,
        formatted -> Nullable<Text>,
        formatted_norm -> Nullable<Text>,
        street_address -> Nullable<Text>,
        street_address_norm -> Nullable<Text>,
        postal_code -> Nullable<Text>,
        postal_code_norm -> Nullable<Text>,
    }
}

diesel::table! {
    /// Groups.
    groups (id) {
        id -> Text,
        org -> Text,
        display_name -> Text,
        display_name_norm -> Text,
        external_id -> Nullable<Text>,
        created -> BigInt,
        last_modified -> BigInt,
        version -> BigInt,
    }
}

diesel::table! {
    /// Memberships: user `user_id` is a member of group `group_id` (both of the same organisation).
    group_members (group_id, user_id) {
        group_id -> Text,
        user_id -> Text,
    }
}

diesel::table! {
    /// The provisioning event log; `id` (autoincrement) is the pagination cursor.
    events (id) {
        id -> BigInt,
        org -> Text,
        at -> BigInt,
        actor -> Text,
        action -> Text,
        resource_type -> Nullable<Text>,
        resource_id -> Nullable<Text>,
        outcome -> Text,
        detail -> Text,
    }
}

diesel::joinable!(scim_tokens -> orgs (org));
diesel::joinable!(group_members -> users (user_id));
diesel::joinable!(group_members -> groups (group_id));
diesel::joinable!(user_emails -> users (user_id));
diesel::joinable!(user_addresses -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    orgs,
    scim_tokens,
    users,
    user_emails,
    user_addresses,
    groups,
    group_members,
    events,
);

// ---- OAuth 2.0 clients of the SCIM connection (`oauth`) ----

diesel::table! {
    /// OAuth clients: `client_id` is the public identifier pasted into Entra; `fed_*` its federated credential.
    oauth_clients (id) {
        id -> Text,
        org -> Text,
        client_id -> Text,
        name -> Text,
        created_at -> BigInt,
        revoked_at -> Nullable<BigInt>,
        fed_issuer -> Nullable<Text>,
        fed_subject -> Nullable<Text>,
        fed_audience -> Nullable<Text>,
    }
}

diesel::table! {
    /// Client secrets: only the SHA-256 `hash` (unique index); several live ones per client for rotation.
    oauth_client_secrets (id) {
        id -> Text,
        client -> Text,
        org -> Text,
        hash -> Binary,
        hint -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        last_used_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    /// Access tokens issued by the token endpoint: only the SHA-256 `hash` (unique index).
    oauth_access_tokens (id) {
        id -> Text,
        client -> Text,
        org -> Text,
        hash -> Binary,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    /// Client assertions already exchanged (`jti` per issuer), until they expire.
    oauth_used_assertions (issuer, jti) {
        issuer -> Text,
        jti -> Text,
        org -> Text,
        expires_at -> BigInt,
    }
}

diesel::joinable!(oauth_access_tokens -> oauth_clients (client));
diesel::joinable!(oauth_client_secrets -> oauth_clients (client));
diesel::joinable!(oauth_clients -> orgs (org));

diesel::allow_tables_to_appear_in_same_query!(
    orgs,
    oauth_clients,
    oauth_client_secrets,
    oauth_access_tokens,
);
