//! Attribute definitions (RFC 7643 §2, §7) of exactly what Humbol stores. Discovery documents, input
//! validation, filter compilation and PATCH all read these, so what the server announces is what it does.

use crate::path::{eq_ci, AttrPath};

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const ENTERPRISE_USER_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const LIST_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH_OP_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const SEARCH_REQUEST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
pub const SERVICE_PROVIDER_CONFIG_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
pub const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
pub const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrType {
    String,
    Boolean,
    Decimal,
    Integer,
    DateTime,
    Reference,
    /// Base64 (RFC 7643 §2.3.6): compared and stored as the string sent.
    Binary,
    Complex,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    ReadOnly,
    ReadWrite,
    Immutable,
    WriteOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returned {
    Always,
    Never,
    Default,
    Request,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uniqueness {
    None,
    Server,
    Global,
}

/// The longest string attribute value, in UTF-8 bytes ([`AttributeDef::max_bytes`]).
pub const MAX_STRING_BYTES: usize = 1024;
/// The longest address `type` and `country`, in UTF-8 bytes.
pub const ADDRESS_KEY_BYTES: usize = 256;
/// The longest address `locality` and `region`, in UTF-8 bytes.
pub const ADDRESS_PLACE_BYTES: usize = 512;
/// The longest reference (a URI: `profileUrl`, `photos.value`, `$ref`), in UTF-8 bytes.
pub const MAX_REFERENCE_BYTES: usize = 2048;
/// The longest binary value (base64: an X.509 certificate), in bytes.
pub const MAX_BINARY_BYTES: usize = 16384;

/// One attribute (or sub-attribute) definition, RFC 7643 §7.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttributeDef {
    pub name: &'static str,
    pub ty: AttrType,
    pub multi_valued: bool,
    pub description: &'static str,
    pub required: bool,
    pub case_exact: bool,
    pub mutability: Mutability,
    pub returned: Returned,
    pub uniqueness: Uniqueness,
    pub canonical_values: &'static [&'static str],
    pub reference_types: &'static [&'static str],
    pub sub_attributes: &'static [AttributeDef],
    /// A limit below its type's ([`AttributeDef::at_most`]); `None`: the type's limit.
    pub limit: Option<usize>,
}

impl AttributeDef {
    /// A single-valued, optional, case-insensitive, readWrite string returned by default.
    pub const fn string(name: &'static str, description: &'static str) -> Self {
        AttributeDef {
            name,
            ty: AttrType::String,
            multi_valued: false,
            description,
            required: false,
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            canonical_values: &[],
            reference_types: &[],
            sub_attributes: &[],
            limit: None,
        }
    }
    pub const fn boolean(name: &'static str, description: &'static str) -> Self {
        AttributeDef {
            ty: AttrType::Boolean,
            ..Self::string(name, description)
        }
    }
    pub const fn complex(
        name: &'static str,
        description: &'static str,
        sub_attributes: &'static [AttributeDef],
    ) -> Self {
        AttributeDef {
            ty: AttrType::Complex,
            sub_attributes,
            ..Self::string(name, description)
        }
    }
    /// The same attribute with values of at most `bytes` UTF-8 bytes, below its type's limit.
    pub const fn at_most(self, bytes: usize) -> Self {
        AttributeDef {
            limit: Some(bytes),
            ..self
        }
    }
    pub const fn multi(self) -> Self {
        AttributeDef {
            multi_valued: true,
            ..self
        }
    }

    /// The longest value a string-valued attribute (string, reference, binary, dateTime) may have, in UTF-8
    /// bytes: checked before the database sees it (indexed columns must stay well under PostgreSQL's B-tree
    /// row limit of about 2.7 kB) and announced in the attribute's description in `/Schemas`. `None` for the
    /// other types.
    pub const fn max_bytes(&self) -> Option<usize> {
        if let Some(limit) = self.limit {
            return Some(limit);
        }
        match self.ty {
            AttrType::String | AttrType::DateTime => Some(MAX_STRING_BYTES),
            AttrType::Reference => Some(MAX_REFERENCE_BYTES),
            AttrType::Binary => Some(MAX_BINARY_BYTES),
            AttrType::Boolean | AttrType::Decimal | AttrType::Integer | AttrType::Complex => None,
        }
    }

    /// The sub-attribute called `name`, ignoring ASCII case.
    pub fn sub_attribute(&self, name: &str) -> Option<&'static AttributeDef> {
        self.sub_attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }
}

/// A schema (RFC 7643 §7): id (URN), name, description, attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaDef {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub attributes: &'static [AttributeDef],
}

impl SchemaDef {
    /// The top-level attribute called `name`, ignoring ASCII case.
    pub fn attribute(&self, name: &str) -> Option<&'static AttributeDef> {
        self.attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }
}

/// A resource type (RFC 7643 §6): its core schema and its extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceTypeDef {
    pub id: &'static str,
    pub name: &'static str,
    pub endpoint: &'static str,
    pub description: &'static str,
    pub schema: &'static SchemaDef,
    /// (extension schema, required)
    pub extensions: &'static [(&'static SchemaDef, bool)],
}

impl ResourceTypeDef {
    /// Every schema of this resource type, core first.
    pub fn schemas(&self) -> impl Iterator<Item = &'static SchemaDef> + '_ {
        std::iter::once(self.schema).chain(self.extensions.iter().map(|(s, _)| *s))
    }

    /// Resolves a top-level attribute, optionally URN-qualified: `(schema, attribute)`. An unqualified name
    /// is looked up in the core schema first, then in the extensions. The URN compares case-insensitively.
    pub fn resolve(
        &self,
        urn: Option<&str>,
        name: &str,
    ) -> Option<(&'static SchemaDef, &'static AttributeDef)> {
        match urn {
            Some(urn) => self
                .schemas()
                .find(|s| s.id.eq_ignore_ascii_case(urn))
                .and_then(|s| s.attribute(name).map(|a| (s, a))),
            None => self
                .schemas()
                .find_map(|s| s.attribute(name).map(|a| (s, a))),
        }
    }
}

const fn read_only(a: AttributeDef) -> AttributeDef {
    AttributeDef {
        mutability: Mutability::ReadOnly,
        ..a
    }
}
const fn case_exact(a: AttributeDef) -> AttributeDef {
    AttributeDef {
        case_exact: true,
        ..a
    }
}
const fn reference(a: AttributeDef, reference_types: &'static [&'static str]) -> AttributeDef {
    AttributeDef {
        ty: AttrType::Reference,
        reference_types,
        ..case_exact(a)
    }
}
const fn canonical(a: AttributeDef, canonical_values: &'static [&'static str]) -> AttributeDef {
    AttributeDef {
        canonical_values,
        ..a
    }
}

/// A multi-valued complex attribute (RFC 7643 §2.4).
const fn plural(
    name: &'static str,
    description: &'static str,
    sub_attributes: &'static [AttributeDef],
) -> AttributeDef {
    AttributeDef::complex(name, description, sub_attributes).multi()
}

/// `display`, `type` (with its canonical values), `primary`: the sub-attributes every plural attribute has
/// besides `value`.
macro_rules! plural_subs {
    ($value:expr, $types:expr) => {
        &[
            $value,
            AttributeDef::string(
                "display",
                "A human-readable name, primarily used for display.",
            ),
            canonical(
                AttributeDef::string("type", "A label indicating the attribute's function."),
                $types,
            ),
            AttributeDef::boolean(
                "primary",
                "The primary or preferred value of this attribute.",
            ),
        ]
    };
}

/// `id`, `externalId` and `meta` are common attributes (RFC 7643 §3.1): listed here so that every lookup has
/// one place to go, but not inside any schema's `attributes` in discovery.
pub static COMMON_ATTRIBUTES: &[AttributeDef] = &[
    AttributeDef {
        returned: Returned::Always,
        uniqueness: Uniqueness::Server,
        ..read_only(case_exact(AttributeDef::string(
            "id",
            "Unique identifier assigned by Humbol.",
        )))
    },
    case_exact(AttributeDef::string(
        "externalId",
        "Identifier of the resource in the provisioning client.",
    )),
    read_only(AttributeDef::complex(
        "meta",
        "Resource metadata.",
        &[
            read_only(case_exact(AttributeDef::string(
                "resourceType",
                "User or Group.",
            ))),
            read_only(AttributeDef {
                ty: AttrType::DateTime,
                ..AttributeDef::string("created", "Created at.")
            }),
            read_only(AttributeDef {
                ty: AttrType::DateTime,
                ..AttributeDef::string("lastModified", "Last modified at.")
            }),
            read_only(case_exact(AttributeDef::string(
                "version",
                "ETag of this version.",
            ))),
            read_only(AttributeDef {
                ty: AttrType::Reference,
                reference_types: &["uri"],
                ..case_exact(AttributeDef::string("location", "URI of the resource."))
            }),
        ],
    )),
];

const TYPE_CANONICAL: &[&str] = &["work", "home", "other"];

pub static USER: SchemaDef = SchemaDef {
    id: USER_SCHEMA,
    name: "User",
    description: "User Account",
    attributes: &[
        AttributeDef {
            required: true,
            uniqueness: Uniqueness::Server,
            ..AttributeDef::string(
                "userName",
                "Unique identifier for the User, typically the sign-in name.",
            )
        },
        AttributeDef::complex(
            "name",
            "The components of the user's name.",
            &[
                AttributeDef::string("formatted", "The full name."),
                AttributeDef::string("familyName", "The family name."),
                AttributeDef::string("givenName", "The given name."),
                AttributeDef::string("middleName", "The middle name(s)."),
                AttributeDef::string("honorificPrefix", "The honorific prefix(es), e.g. \"Ms.\"."),
                AttributeDef::string("honorificSuffix", "The honorific suffix(es), e.g. \"III\"."),
            ],
        ),
        AttributeDef::string("displayName", "The name of the User, suitable for display."),
        AttributeDef::string("nickName", "The casual way to address the user."),
        reference(
            AttributeDef::string("profileUrl", "A URI of the user's online profile."),
            &["external"],
        ),
        AttributeDef::string("title", "The user's title, such as \"Vice President\"."),
        AttributeDef::string("userType", "The relationship to the organisation, e.g. \"Employee\"."),
        AttributeDef::string("preferredLanguage", "Preferred language, e.g. \"en-US\"."),
        AttributeDef::string("locale", "Default location for localisation, e.g. \"en-US\"."),
        AttributeDef::string("timezone", "Time zone in IANA format, e.g. \"Europe/Paris\"."),
        // Humbol always has a value: when a client omits it, it is true (and removing it restores true).
        AttributeDef {
            required: true,
            ..AttributeDef::boolean(
                "active",
                "Whether the user may sign in to Humbol. Always present; true when not given.",
            )
        },
        AttributeDef::complex(
            "emails",
            "Email addresses of the user.",
            &[
                AttributeDef::string("value", "Email address."),
                AttributeDef {
                    canonical_values: TYPE_CANONICAL,
                    ..AttributeDef::string("type", "work, home, other.")
                },
                AttributeDef::boolean("primary", "The primary email address."),
            ],
        )
        .multi(),
        AttributeDef::complex(
            "addresses",
            "Physical mailing addresses of the user.",
            &[
                // type, locality, region and country are stored in the index that reads a user's addresses
                // (PostgreSQL's B-tree row limit is about 2.7 kB), so their limits are below a string's.
                AttributeDef {
                    canonical_values: TYPE_CANONICAL,
                    ..AttributeDef::string("type", "work, home, other.").at_most(ADDRESS_KEY_BYTES)
                },
                AttributeDef::string("formatted", "The full mailing address, formatted for display."),
                AttributeDef::string("streetAddress", "The street address."),
                AttributeDef::string("locality", "City or locality.").at_most(ADDRESS_PLACE_BYTES),
                AttributeDef::string("region", "State or region.").at_most(ADDRESS_PLACE_BYTES),
                AttributeDef::string("postalCode", "The zip or postal code."),
                AttributeDef::string("country", "Country, ISO 3166-1 alpha-2.").at_most(ADDRESS_KEY_BYTES),
                AttributeDef::boolean("primary", "The primary address."),
            ],
        )
        .multi(),
        plural(
            "phoneNumbers",
            "Phone numbers of the user.",
            plural_subs!(
                AttributeDef::string("value", "Phone number."),
                &["work", "home", "mobile", "fax", "pager", "other"]
            ),
        ),
        plural(
            "ims",
            "Instant messaging addresses of the user.",
            plural_subs!(
                AttributeDef::string("value", "Instant messaging address."),
                &["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"]
            ),
        ),
        plural(
            "photos",
            "URLs of images of the user.",
            plural_subs!(
                reference(AttributeDef::string("value", "URL of a photo."), &["external"]),
                &["photo", "thumbnail"]
            ),
        ),
        // Derived from the groups' members (RFC 7643 §4.1.2): returned and filterable, never written by a client
        // (ignored on POST and PUT, `mutability` on PATCH).
        read_only(plural(
            "groups",
            "The groups the user is a direct member of, derived from the groups' members (read-only).",
            &[
                read_only(case_exact(AttributeDef::string(
                    "value",
                    "The id of the Group.",
                ))),
                read_only(reference(
                    AttributeDef::string("$ref", "URI of the Group."),
                    &["Group"],
                )),
                read_only(AttributeDef::string("display", "The Group's displayName.")),
                read_only(canonical(
                    AttributeDef::string("type", "How the user is a member: direct."),
                    &["direct", "indirect"],
                )),
            ],
        )),
        plural(
            "entitlements",
            "Entitlements of the user.",
            plural_subs!(AttributeDef::string("value", "The entitlement."), &[]),
        ),
        plural(
            "x509Certificates",
            "X.509 certificates of the user, DER in base64.",
            plural_subs!(
                AttributeDef {
                    ty: AttrType::Binary,
                    ..case_exact(AttributeDef::string("value", "The certificate."))
                },
                &[]
            ),
        ),
        // Humbol's people sign in by single sign-on: accepted (Entra may send one), never stored or returned.
        AttributeDef {
            mutability: Mutability::WriteOnly,
            returned: Returned::Never,
            ..case_exact(AttributeDef::string(
                "password",
                "Accepted and discarded: Humbol's users sign in by single sign-on.",
            ))
        },
        // Humbol stores the role's name and `primary` flag: `display` and `type` are accepted and ignored.
        AttributeDef {
            required: true,
            ..AttributeDef::complex(
                "roles",
                "The user's Humbol role: exactly one, from the organisation's role list. Always present; the \
                 organisation's default role when none is given.",
                &[
                    case_exact(AttributeDef::string("value", "The role name.")),
                    AttributeDef::boolean(
                        "primary",
                        "Whether this is the primary role (Entra maps roles[primary eq \"True\"]); returned as sent.",
                    ),
                ],
            )
            .multi()
        },
    ],
};

pub static ENTERPRISE_USER: SchemaDef = SchemaDef {
    id: ENTERPRISE_USER_SCHEMA,
    name: "EnterpriseUser",
    description: "Enterprise User",
    attributes: &[
        AttributeDef::string("employeeNumber", "Identifier of the user in the organisation."),
        AttributeDef::string("costCenter", "Name of a cost center."),
        AttributeDef::string("organization", "Name of an organisation."),
        AttributeDef::string("division", "Name of a division."),
        AttributeDef::string("department", "Name of a department."),
        AttributeDef::complex(
            "manager",
            "The user's manager: a user of the same organisation.",
            &[
                case_exact(AttributeDef::string(
                    "value",
                    "The id of the manager's User resource.",
                )),
                AttributeDef {
                    ty: AttrType::Reference,
                    reference_types: &["User"],
                    ..case_exact(AttributeDef::string(
                        "$ref",
                        "URI of the manager's User resource (returned; derived from value on input).",
                    ))
                },
            ],
        ),
    ],
};

pub static GROUP: SchemaDef = SchemaDef {
    id: GROUP_SCHEMA,
    name: "Group",
    description: "Group",
    attributes: &[
        AttributeDef {
            required: true,
            uniqueness: Uniqueness::Server,
            ..AttributeDef::string("displayName", "A human-readable name for the Group.")
        },
        AttributeDef::complex(
            "members",
            "A list of members of the Group (Users).",
            &[
                AttributeDef {
                    mutability: Mutability::Immutable,
                    ..case_exact(AttributeDef::string(
                        "value",
                        "Identifier of the member User.",
                    ))
                },
                AttributeDef {
                    ty: AttrType::Reference,
                    reference_types: &["User"],
                    mutability: Mutability::Immutable,
                    ..case_exact(AttributeDef::string("$ref", "URI of the member."))
                },
                AttributeDef {
                    mutability: Mutability::Immutable,
                    canonical_values: &["User"],
                    ..AttributeDef::string("type", "Type of the member: User.")
                },
                read_only(AttributeDef::string(
                    "display",
                    "Display name of the member.",
                )),
            ],
        )
        .multi(),
    ],
};

pub static USER_RESOURCE: ResourceTypeDef = ResourceTypeDef {
    id: "User",
    name: "User",
    endpoint: "/Users",
    description: "User Account",
    schema: &USER,
    extensions: &[(&ENTERPRISE_USER, false)],
};

pub static GROUP_RESOURCE: ResourceTypeDef = ResourceTypeDef {
    id: "Group",
    name: "Group",
    endpoint: "/Groups",
    description: "Group",
    schema: &GROUP,
    extensions: &[],
};

pub static RESOURCE_TYPES: &[&ResourceTypeDef] = &[&USER_RESOURCE, &GROUP_RESOURCE];
pub static SCHEMAS: &[&SchemaDef] = &[&USER, &ENTERPRISE_USER, &GROUP];

// ---------------------------------------------------------------------------------------------------------
// Resolution: a path to the attribute it names, once
// ---------------------------------------------------------------------------------------------------------

/// Where an attribute path points in a resource type's schemas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolvedPath {
    /// The schema defining the attribute; `None` for the common attributes `id`, `externalId`, `meta`.
    pub schema: Option<&'static SchemaDef>,
    /// The top-level attribute.
    pub attr: &'static AttributeDef,
    /// The sub-attribute, when the path names one.
    pub sub: Option<&'static AttributeDef>,
}

impl ResolvedPath {
    /// The key of the object holding the attribute in the resource's JSON: `None` for the top level (core
    /// schema and common attributes), the extension's URN for an extension attribute.
    pub fn container_key(&self, rt: &ResourceTypeDef) -> Option<&'static str> {
        match self.schema {
            Some(schema) if !eq_ci(schema.id, rt.schema.id) => Some(schema.id),
            _ => None,
        }
    }
}

/// Why a path names no attribute of a resource type ([`resolve`]); each consumer words its own error
/// (an `invalidFilter` for a filter, an `invalidPath` for PATCH) from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unresolved {
    /// The URN is none of the resource type's schemas.
    UnknownSchema,
    /// No attribute of that name (in the schema the URN names, or in any).
    UnknownAttribute,
    /// The attribute exists but has no sub-attributes: `userName.x`.
    NoSubAttributes(&'static AttributeDef),
    /// The attribute has sub-attributes, but not this one: `name.x`.
    UnknownSubAttribute(&'static AttributeDef),
}

/// What an attribute path names in a resource type: an attribute (or one of its sub-attributes), or a whole
/// schema (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`, which the path grammar reads as the
/// URN `urn:...:2.0` and the name `User`: a schema id is a URN whose last segment is an attribute name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Attr(ResolvedPath),
    Schema(&'static SchemaDef),
}

impl ResourceTypeDef {
    /// The schema of this resource type that `path` designates as a whole (`urn:...:enterprise:2.0:User`),
    /// if it does: a URN and a name without sub-attribute that together spell a schema id, ignoring case.
    pub fn schema_named(&self, path: &AttrPath) -> Option<&'static SchemaDef> {
        let urn = path.urn.as_deref()?;
        if path.sub.is_some() {
            return None;
        }
        self.schemas().find(|s| {
            s.id.len() == urn.len() + 1 + path.name.len()
                && s.id.get(..urn.len()).is_some_and(|p| eq_ci(p, urn))
                && s.id.as_bytes().get(urn.len()) == Some(&b':')
                && s.id
                    .get(urn.len() + 1..)
                    .is_some_and(|n| eq_ci(n, &path.name))
        })
    }
}

/// Resolves `path` in `rt`, the one resolver of every consumer (evaluator, PATCH, projection, the typed
/// references): an unqualified name is looked up in the core schema, then in the extensions, then among the
/// common attributes `id`, `externalId`, `meta`; a URN-qualified name only in the schema with that URN (the
/// core schema's URN also reaches the common attributes). Names and URNs compare ignoring ASCII case; the
/// result carries the canonical definitions.
pub fn resolve(path: &AttrPath, rt: &ResourceTypeDef) -> Result<ResolvedPath, Unresolved> {
    resolve_sub(path, path.sub.as_deref(), rt)
}

/// [`resolve`] with the sub-attribute `sub` in place of `path.sub` (a PATCH path names it after a value
/// filter: `emails[type eq "work"].value`).
pub fn resolve_sub(
    path: &AttrPath,
    sub: Option<&str>,
    rt: &ResourceTypeDef,
) -> Result<ResolvedPath, Unresolved> {
    let urn = path.urn.as_deref();
    if let Some(u) = urn {
        if !rt.schemas().any(|s| eq_ci(s.id, u)) {
            return Err(Unresolved::UnknownSchema);
        }
    }
    let (schema, attr) = match rt.resolve(urn, &path.name) {
        Some((schema, attr)) => (Some(schema), attr),
        None => {
            let core_or_none = urn.is_none_or(|u| eq_ci(u, rt.schema.id));
            let common = COMMON_ATTRIBUTES.iter().find(|a| eq_ci(a.name, &path.name));
            match common.filter(|_| core_or_none) {
                Some(attr) => (None, attr),
                None => return Err(Unresolved::UnknownAttribute),
            }
        }
    };
    let sub = match sub {
        Some(_) if attr.sub_attributes.is_empty() => return Err(Unresolved::NoSubAttributes(attr)),
        Some(sub) => Some(
            attr.sub_attribute(sub)
                .ok_or(Unresolved::UnknownSubAttribute(attr))?,
        ),
        None => None,
    };
    Ok(ResolvedPath { schema, attr, sub })
}

/// [`resolve`], the reason left out: `None` when the attribute, or its sub-attribute, does not exist.
pub fn resolve_path(path: &AttrPath, rt: &ResourceTypeDef) -> Option<ResolvedPath> {
    resolve(path, rt).ok()
}

/// What `path` names in `rt`: a whole schema ([`ResourceTypeDef::schema_named`]) or an attribute
/// ([`resolve`]); `None` when neither.
pub fn resolve_target(path: &AttrPath, rt: &ResourceTypeDef) -> Option<Target> {
    match rt.schema_named(path) {
        Some(schema) => Some(Target::Schema(schema)),
        None => resolve_path(path, rt).map(Target::Attr),
    }
}

/// A sub-attribute of `meta` (RFC 7643 §3.1), shared by every resource type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetaAttr {
    /// `meta` itself.
    Whole,
    ResourceType,
    Created,
    LastModified,
    Version,
    Location,
}

/// A sub-attribute of a User's `name`; `None` in [`UserAttr::Name`] is `name` itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NameSub {
    Formatted,
    FamilyName,
    GivenName,
}

/// A sub-attribute of an element of `emails`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EmailSub {
    Value,
    Type,
    Primary,
}

/// A sub-attribute of an element of `addresses`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressSub {
    Type,
    Formatted,
    StreetAddress,
    Locality,
    Region,
    PostalCode,
    Country,
    Primary,
}

/// A sub-attribute of the one role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RoleSub {
    Value,
    Primary,
}

/// A sub-attribute of an element of a User's read-only `groups`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserGroupSub {
    Value,
    Ref,
    Display,
    Type,
}

/// A sub-attribute of the enterprise `manager`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ManagerSub {
    Value,
    Ref,
}

/// A User attribute (core, enterprise extension or common), resolved from a path ONCE by [`UserAttr::of`]:
/// what the store's SQL translation and the key look-up match on, exhaustively, instead of on spellings. A
/// complex attribute carries `None` for itself or the sub-attribute the path names. Adding an attribute to
/// [`USER`] or [`ENTERPRISE_USER`] means adding its variant here (a test walks the schema and fails
/// otherwise), and the compiler then names every `match` that must say what it does with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserAttr {
    Id,
    ExternalId,
    Meta(MetaAttr),
    UserName,
    Name(Option<NameSub>),
    DisplayName,
    Title,
    PreferredLanguage,
    Active,
    Emails(Option<EmailSub>),
    Addresses(Option<AddressSub>),
    Roles(Option<RoleSub>),
    Department,
    Manager(Option<ManagerSub>),
    /// The read-only `groups`, derived from the groups' members.
    Groups(Option<UserGroupSub>),
    /// An attribute kept in the user's attribute document (the store's `users.attributes`): every one
    /// without a variant of its own. Adding such an attribute is its schema row, nothing else.
    Doc(DocAttr),
}

/// An attribute of the User's attribute document: a top-level attribute, or a sub-attribute of one (`name`'s
/// parts beyond the three stored in columns are in the document too, under `name`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocAttr {
    /// The extension URN whose object holds the attribute; `None` for a core attribute.
    pub container: Option<&'static str>,
    /// The top-level attribute.
    pub attr: &'static AttributeDef,
    /// The sub-attribute, when the path names one.
    pub sub: Option<&'static AttributeDef>,
}

impl DocAttr {
    /// The definition of what the path names: the sub-attribute's, else the attribute's.
    pub fn leaf(&self) -> &'static AttributeDef {
        self.sub.unwrap_or(self.attr)
    }

    /// The JSON keys from the document's root to the value: `[urn?, attribute, sub?]` (for a multi-valued
    /// attribute, the sub-attribute is a key of each element).
    pub fn keys(&self) -> impl Iterator<Item = &'static str> {
        self.container
            .into_iter()
            .chain(std::iter::once(self.attr.name))
            .chain(self.sub.map(|s| s.name))
    }
}

/// Every top-level User attribute kept in the attribute document, core first, that a client writes (not
/// read-only `groups` nor never-returned `password`): what the reader reads, and what the tests generated from
/// the schema walk.
pub fn user_document_attributes() -> impl Iterator<Item = DocAttr> {
    USER_RESOURCE.schemas().flat_map(|schema| {
        schema.attributes.iter().filter_map(move |attr| {
            let r = ResolvedPath {
                schema: Some(schema),
                attr,
                sub: None,
            };
            match UserAttr::resolved(&r)? {
                UserAttr::Doc(d)
                    if attr.mutability != Mutability::ReadOnly
                        && attr.returned != Returned::Never =>
                {
                    Some(d)
                }
                _ => None,
            }
        })
    })
}

impl std::hash::Hash for DocAttr {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.container.hash(state);
        self.attr.name.hash(state);
        self.sub.map(|s| s.name).hash(state);
    }
}

/// A sub-attribute of an element of a Group's `members`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MemberSub {
    Value,
    Ref,
    Type,
    Display,
}

/// A Group attribute, resolved once by [`GroupAttr::of`] (see [`UserAttr`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupAttr {
    Id,
    ExternalId,
    Meta(MetaAttr),
    DisplayName,
    Members(Option<MemberSub>),
}

/// The canonical names of a resolved path: the attribute's, and its sub-attribute's if any.
fn names(r: &ResolvedPath) -> (&'static str, Option<&'static str>) {
    (r.attr.name, r.sub.map(|s| s.name))
}

/// The `meta` sub-attribute named `sub` (`None`: `meta` itself).
fn meta_attr(sub: Option<&str>) -> Option<MetaAttr> {
    Some(match sub {
        None => MetaAttr::Whole,
        Some("resourceType") => MetaAttr::ResourceType,
        Some("created") => MetaAttr::Created,
        Some("lastModified") => MetaAttr::LastModified,
        Some("version") => MetaAttr::Version,
        Some("location") => MetaAttr::Location,
        Some(_) => return None,
    })
}

/// `Some(None)` for the attribute itself, `Some(Some(s))` for a known sub-attribute, `None` otherwise.
fn sub_of<S>(sub: Option<&str>, f: impl Fn(&str) -> Option<S>) -> Option<Option<S>> {
    match sub {
        None => Some(None),
        Some(s) => f(s).map(Some),
    }
}

impl UserAttr {
    /// The User attribute `path` names ([`resolve_path`] in [`USER_RESOURCE`]); `None` when there is none.
    pub fn of(path: &AttrPath) -> Option<UserAttr> {
        Self::resolved(&resolve_path(path, &USER_RESOURCE)?)
    }

    /// The sub-attribute `inner` (a path inside `outer[...]`) of the attribute `outer` names.
    pub fn within(outer: UserAttr, inner: &AttrPath) -> Option<UserAttr> {
        let top = match outer {
            UserAttr::Name(None) => "name",
            UserAttr::Emails(None) => "emails",
            UserAttr::Addresses(None) => "addresses",
            UserAttr::Roles(None) => "roles",
            UserAttr::Manager(None) => "manager",
            UserAttr::Groups(None) => "groups",
            UserAttr::Doc(DocAttr {
                attr,
                sub: None,
                container,
            }) if attr.ty == AttrType::Complex => {
                if inner.urn.is_some() || inner.sub.is_some() {
                    return None;
                }
                return Some(UserAttr::Doc(DocAttr {
                    container,
                    attr,
                    sub: Some(attr.sub_attribute(&inner.name)?),
                }));
            }
            _ => return None,
        };
        if inner.urn.is_some() || inner.sub.is_some() {
            return None;
        }
        let path = AttrPath {
            urn: None,
            name: top.to_string(),
            sub: Some(inner.name.clone()),
        };
        Self::of(&path)
    }

    /// The resolved path as a User attribute (by canonical names, which [`resolve_path`] returns).
    pub fn resolved(r: &ResolvedPath) -> Option<UserAttr> {
        let (name, sub) = names(r);
        let doc = || {
            r.schema.map(|_| {
                UserAttr::Doc(DocAttr {
                    container: r.container_key(&USER_RESOURCE),
                    attr: r.attr,
                    sub: r.sub,
                })
            })
        };
        Some(match name {
            "id" => UserAttr::Id,
            "externalId" => UserAttr::ExternalId,
            "meta" => UserAttr::Meta(meta_attr(sub)?),
            "userName" => UserAttr::UserName,
            "name" => match sub {
                None => UserAttr::Name(None),
                Some("formatted") => UserAttr::Name(Some(NameSub::Formatted)),
                Some("familyName") => UserAttr::Name(Some(NameSub::FamilyName)),
                Some("givenName") => UserAttr::Name(Some(NameSub::GivenName)),
                Some(_) => doc()?,
            },
            "displayName" => UserAttr::DisplayName,
            "title" => UserAttr::Title,
            "preferredLanguage" => UserAttr::PreferredLanguage,
            "active" => UserAttr::Active,
            "emails" => UserAttr::Emails(sub_of(sub, |s| match s {
                "value" => Some(EmailSub::Value),
                "type" => Some(EmailSub::Type),
                "primary" => Some(EmailSub::Primary),
                _ => None,
            })?),
            "addresses" => UserAttr::Addresses(sub_of(sub, |s| match s {
                "type" => Some(AddressSub::Type),
                "formatted" => Some(AddressSub::Formatted),
                "streetAddress" => Some(AddressSub::StreetAddress),
                "locality" => Some(AddressSub::Locality),
                "region" => Some(AddressSub::Region),
                "postalCode" => Some(AddressSub::PostalCode),
                "country" => Some(AddressSub::Country),
                "primary" => Some(AddressSub::Primary),
                _ => None,
            })?),
            "roles" => UserAttr::Roles(sub_of(sub, |s| match s {
                "value" => Some(RoleSub::Value),
                "primary" => Some(RoleSub::Primary),
                _ => None,
            })?),
            "department" => UserAttr::Department,
            "manager" => UserAttr::Manager(sub_of(sub, |s| match s {
                "value" => Some(ManagerSub::Value),
                "$ref" => Some(ManagerSub::Ref),
                _ => None,
            })?),
            "groups" => UserAttr::Groups(sub_of(sub, |s| match s {
                "value" => Some(UserGroupSub::Value),
                "$ref" => Some(UserGroupSub::Ref),
                "display" => Some(UserGroupSub::Display),
                "type" => Some(UserGroupSub::Type),
                _ => None,
            })?),
            _ => doc()?,
        })
    }
}

impl GroupAttr {
    /// The Group attribute `path` names ([`resolve_path`] in [`GROUP_RESOURCE`]); `None` when there is none.
    pub fn of(path: &AttrPath) -> Option<GroupAttr> {
        Self::resolved(&resolve_path(path, &GROUP_RESOURCE)?)
    }

    /// The sub-attribute `inner` (a path inside `outer[...]`) of the attribute `outer` names.
    pub fn within(outer: GroupAttr, inner: &AttrPath) -> Option<GroupAttr> {
        if outer != GroupAttr::Members(None) || inner.urn.is_some() || inner.sub.is_some() {
            return None;
        }
        Self::of(&AttrPath {
            urn: None,
            name: "members".to_string(),
            sub: Some(inner.name.clone()),
        })
    }

    /// The resolved path as a Group attribute.
    pub fn resolved(r: &ResolvedPath) -> Option<GroupAttr> {
        let (name, sub) = names(r);
        Some(match name {
            "id" => GroupAttr::Id,
            "externalId" => GroupAttr::ExternalId,
            "meta" => GroupAttr::Meta(meta_attr(sub)?),
            "displayName" => GroupAttr::DisplayName,
            "members" => GroupAttr::Members(sub_of(sub, |s| match s {
                "value" => Some(MemberSub::Value),
                "$ref" => Some(MemberSub::Ref),
                "type" => Some(MemberSub::Type),
                "display" => Some(MemberSub::Display),
                _ => None,
            })?),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every attribute and sub-attribute of the schemas has its typed reference: the schema and the enums
    /// cannot drift apart.
    #[test]
    fn every_schema_attribute_has_its_typed_reference() {
        let paths = |rt: &ResourceTypeDef| -> Vec<AttrPath> {
            let tops = rt
                .schemas()
                .flat_map(|s| s.attributes.iter())
                .chain(COMMON_ATTRIBUTES.iter());
            tops.flat_map(|a| {
                let whole = AttrPath {
                    urn: None,
                    name: a.name.to_string(),
                    sub: None,
                };
                let subs = a.sub_attributes.iter().map(|s| AttrPath {
                    sub: Some(s.name.to_string()),
                    ..whole.clone()
                });
                std::iter::once(whole.clone())
                    .chain(subs)
                    .collect::<Vec<_>>()
            })
            .collect()
        };
        for p in paths(&USER_RESOURCE) {
            assert!(UserAttr::of(&p).is_some(), "User {p}");
        }
        for p in paths(&GROUP_RESOURCE) {
            assert!(GroupAttr::of(&p).is_some(), "Group {p}");
        }
        // Any spelling resolves to the same reference; unknown names to none.
        let p: AttrPath = "EMAILS.Value".parse().unwrap();
        assert_eq!(
            UserAttr::of(&p),
            Some(UserAttr::Emails(Some(EmailSub::Value)))
        );
        let p: AttrPath =
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"
                .parse()
                .unwrap();
        assert_eq!(
            UserAttr::of(&p),
            Some(UserAttr::Manager(Some(ManagerSub::Value)))
        );
        let p: AttrPath = "members".parse().unwrap();
        assert_eq!(UserAttr::of(&p), None);
        assert_eq!(GroupAttr::of(&p), Some(GroupAttr::Members(None)));
        let inner: AttrPath = "Type".parse().unwrap();
        assert_eq!(
            UserAttr::within(UserAttr::Emails(None), &inner),
            Some(UserAttr::Emails(Some(EmailSub::Type)))
        );
        assert_eq!(UserAttr::within(UserAttr::Title, &inner), None);
    }
}
