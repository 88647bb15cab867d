//! The SCIM document's examples: the bodies Microsoft Entra ID sends (in its legacy and its RFC-compliant
//! shapes) and what Humbol answers, as docs/entra.md describes them.

use serde_json::{json, Value};
use utoipa::openapi::OpenApi;

use humbol_ops::openapi::{request_examples, response_examples};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const LIST: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const SEARCH: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
const BASE: &str = "https://scim.humbol.example/scim/v2/orgs/acme";
const USER_ID: &str = "2819c223-7f76-453a-919d-413861904646";
const MANAGER_ID: &str = "26118915-6090-4610-87e4-49d8ca9f808d";
const GROUP_ID: &str = "e9e30dba-f08f-4109-8486-d5c6a331660a";

fn patch(operations: Value) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": operations})
}

/// The user Entra creates.
fn entra_user() -> Value {
    json!({
        "schemas": [USER, ENTERPRISE],
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7b2e4c1a9d31",
        "userName": "alice@contoso.com",
        "active": true,
        "displayName": "Alice Smith",
        "title": "Engineer",
        "preferredLanguage": "en-GB",
        "emails": [{"primary": true, "type": "work", "value": "alice@contoso.com"}],
        "name": {"formatted": "Alice Smith", "familyName": "Smith", "givenName": "Alice"},
        "addresses": [{"type": "work", "locality": "London", "region": "England", "country": "GB", "primary": false}],
        "roles": [{"primary": true, "type": "WindowsAzureActiveDirectoryRole", "value": "Member"}],
        ENTERPRISE: {"department": "Engineering"}
    })
}

/// That user as Humbol answers it.
fn stored_user() -> Value {
    json!({
        "schemas": [USER, ENTERPRISE],
        "id": USER_ID,
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7b2e4c1a9d31",
        "userName": "alice@contoso.com",
        "active": true,
        "displayName": "Alice Smith",
        "title": "Engineer",
        "preferredLanguage": "en-GB",
        "emails": [{"primary": true, "type": "work", "value": "alice@contoso.com"}],
        "name": {"formatted": "Alice Smith", "familyName": "Smith", "givenName": "Alice"},
        "addresses": [{"type": "work", "locality": "London", "region": "England", "country": "GB", "primary": false}],
        "roles": [{"primary": true, "value": "Member"}],
        ENTERPRISE: {"department": "Engineering", "manager": {"value": MANAGER_ID}},
        "meta": {
            "resourceType": "User",
            "created": "2026-03-02T09:15:27.000Z",
            "lastModified": "2026-03-02T09:15:27.000Z",
            "version": "W/\"1\"",
            "location": format!("{BASE}/Users/{USER_ID}")
        }
    })
}

fn stored_group() -> Value {
    json!({
        "schemas": [GROUP],
        "id": GROUP_ID,
        "externalId": "7c2a5e3c-1f0b-4f7e-a0a9-5d8a2c6b4e10",
        "displayName": "Sales",
        "members": [{"value": USER_ID, "display": "alice@contoso.com", "$ref": format!("{BASE}/Users/{USER_ID}"), "type": "User"}],
        "meta": {
            "resourceType": "Group",
            "created": "2026-03-02T09:16:02.000Z",
            "lastModified": "2026-03-02T09:16:40.000Z",
            "version": "W/\"2\"",
            "location": format!("{BASE}/Groups/{GROUP_ID}")
        }
    })
}

fn list(resources: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST],
        "totalResults": resources.len(),
        "itemsPerPage": resources.len(),
        "startIndex": 1,
        "Resources": resources
    })
}

fn error(status: u16, scim_type: Option<&str>, detail: &str) -> Value {
    let mut body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": status.to_string(),
        "detail": detail
    });
    if let (Some(t), Some(fields)) = (scim_type, body.as_object_mut()) {
        fields.insert("scimType".into(), json!(t));
    }
    body
}

/// The request examples; `false` if one names a missing operation.
pub(super) fn request(doc: &mut OpenApi) -> bool {
    let user_patches = [
        ("legacyReplaceEmail", "Entra (legacy shape): replace the work e-mail by a value path",
         patch(json!([{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "alice.smith@contoso.com"}]))),
        ("compliantReplace", "Entra (compliant shape): several attributes in one value, dotted and URN-qualified keys",
         patch(json!([{"op": "replace", "value": {
             "displayName": "Alice J. Smith",
             "name.givenName": "Alice",
             format!("{ENTERPRISE}:department"): "Research"
         }}]))),
        ("disable", "Entra disables a user (soft delete): a string boolean",
         patch(json!([{"op": "Replace", "path": "active", "value": "False"}]))),
        ("setManager", "Entra sets the manager (a bare id)",
         patch(json!([{"op": "Add", "path": format!("{ENTERPRISE}:manager"), "value": MANAGER_ID}]))),
        ("legacyRole", "Entra (legacy shape) adds an app role: a JSON object inside a string; replaces the user's one role",
         patch(json!([{"op": "Add", "path": "roles", "value": [{"value": "{\"id\":\"7c1e2a5f-0b8d-4e0a-9f5e-2b1d6c3a4e8f\",\"value\":\"Admin\",\"displayName\":\"Admin\"}"}]}]))),
    ];
    let group_patches = [
        (
            "addMembers",
            "Entra adds members",
            patch(
                json!([{"op": "Add", "path": "members", "value": [{"$ref": null, "value": USER_ID}]}]),
            ),
        ),
        (
            "legacyRemoveMembers",
            "Entra (legacy shape) removes the listed members only",
            patch(json!([{"op": "Remove", "path": "members", "value": [{"value": USER_ID}]}])),
        ),
        (
            "compliantRemoveMember",
            "Entra (compliant shape) removes one member by a filter",
            patch(json!([{"op": "remove", "path": format!("members[value eq \"{USER_ID}\"]")}])),
        ),
        (
            "rename",
            "Entra renames the group",
            patch(json!([{"op": "Replace", "path": "displayName", "value": "Sales EMEA"}])),
        ),
    ];
    let search = (
        "byUserName",
        "Find a user by userName",
        json!({"schemas": [SEARCH], "filter": "userName eq \"alice@contoso.com\"", "startIndex": 1, "count": 10}),
    );
    let new_group = json!({
        "schemas": [GROUP, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
        "externalId": "7c2a5e3c-1f0b-4f7e-a0a9-5d8a2c6b4e10",
        "displayName": "Sales",
        "members": []
    });
    let mut replaced = stored_user();
    if let Some(user) = replaced.as_object_mut() {
        user.remove("meta");
        user.insert("title".into(), json!("Senior Engineer"));
    }
    [
        request_examples(
            doc,
            "createUser",
            &[(
                "entraCreate",
                "Entra creates a user (core and enterprise schemas)",
                entra_user(),
            )],
        ),
        request_examples(
            doc,
            "replaceUser",
            &[("replace", "Every attribute at once", replaced)],
        ),
        request_examples(doc, "patchUser", &user_patches),
        request_examples(doc, "searchUsers", &[search]),
        request_examples(
            doc,
            "createGroup",
            &[(
                "entraCreate",
                "Entra creates a group (no members yet)",
                new_group,
            )],
        ),
        request_examples(doc, "patchGroup", &group_patches),
    ]
    .iter()
    .all(|added| *added)
}

/// The response examples; `false` if one names a missing operation or response.
pub(super) fn responses(doc: &mut OpenApi) -> bool {
    let user = || [("user", "The user", stored_user())];
    [
        response_examples(
            doc,
            "listUsers",
            200,
            &[
                (
                    "testConnection",
                    "Entra's Test Connection (a random userName): no match",
                    list(vec![]),
                ),
                (
                    "match",
                    "Entra matches a user by userName before creating it",
                    list(vec![stored_user()]),
                ),
            ],
        ),
        response_examples(
            doc,
            "searchUsers",
            200,
            &[("match", "One match", list(vec![stored_user()]))],
        ),
        response_examples(doc, "createUser", 201, &user()),
        response_examples(
            doc,
            "createUser",
            409,
            &[(
                "uniqueness",
                "userName already taken",
                error(
                    409,
                    Some("uniqueness"),
                    "userName \"alice@contoso.com\" is already taken",
                ),
            )],
        ),
        response_examples(
            doc,
            "createUser",
            400,
            &[(
                "role",
                "A role outside the organisation's list",
                error(
                    400,
                    Some("invalidValue"),
                    "role \"Owner\" is not one of this organisation's roles: Admin, Member",
                ),
            )],
        ),
        response_examples(doc, "getUser", 200, &user()),
        response_examples(doc, "replaceUser", 200, &user()),
        response_examples(doc, "patchUser", 200, &user()),
        response_examples(
            doc,
            "getUser",
            404,
            &[(
                "notFound",
                "No such user in this organisation",
                error(404, None, "resource not found"),
            )],
        ),
        response_examples(
            doc,
            "listGroups",
            200,
            &[
                (
                    "testConnection",
                    "Entra's Test Connection: no match",
                    list(vec![]),
                ),
                (
                    "match",
                    "A group matched by displayName",
                    list(vec![stored_group()]),
                ),
            ],
        ),
        response_examples(
            doc,
            "createGroup",
            201,
            &[("group", "The group", stored_group())],
        ),
        response_examples(
            doc,
            "createGroup",
            409,
            &[(
                "uniqueness",
                "displayName already taken",
                error(
                    409,
                    Some("uniqueness"),
                    "displayName \"Sales\" is already taken",
                ),
            )],
        ),
        response_examples(
            doc,
            "getGroup",
            200,
            &[("group", "The group", stored_group())],
        ),
    ]
    .iter()
    .all(|added| *added)
}
