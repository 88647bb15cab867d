//! Attribute definitions (RFC 7643 §2, §7) of exactly what Humbol stores. Discovery documents, input
//! validation, filter compilation and PATCH all read these, so what the server announces is what it does.

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
    pub const fn multi(self) -> Self {
        AttributeDef {
            multi_valued: true,
            ..self
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
            ],
        ),
        AttributeDef::string("displayName", "The name of the User, suitable for display."),
        AttributeDef::string("title", "The user's title, such as \"Vice President\"."),
        AttributeDef::string("preferredLanguage", "Preferred language, e.g. \"en-US\"."),
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
                AttributeDef {
                    canonical_values: TYPE_CANONICAL,
                    ..AttributeDef::string("type", "work, home, other.")
                },
                AttributeDef::string("locality", "City or locality."),
                AttributeDef::string("region", "State or region."),
                AttributeDef::string("country", "Country, ISO 3166-1 alpha-2."),
                AttributeDef::boolean("primary", "The primary address."),
            ],
        )
        .multi(),
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
