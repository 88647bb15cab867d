//! Humbol's rules on SCIM resources, beyond the protocol: what an organisation allows. (`scim_core` is the
//! protocol alone; these are the product's.)

use scim_core::resource::User;
use scim_core::ScimError;

/// Applies an organisation's role rules to `user.role` (DESIGN.md, "Roles"):
/// - no role: the organisation's `default_role`;
/// - a role in `allowed`, compared ignoring ASCII case: stored in the spelling of `allowed`;
/// - any other role: `400 invalidValue` listing the allowed roles.
pub fn check_role(
    user: &mut User,
    allowed: &[String],
    default_role: &str,
) -> Result<(), ScimError> {
    let Some(role) = user.role.as_deref() else {
        user.role = Some(default_role.to_string());
        return Ok(());
    };
    match allowed.iter().find(|a| a.eq_ignore_ascii_case(role)) {
        Some(canonical) => {
            user.role = Some(canonical.clone());
            Ok(())
        }
        None => Err(ScimError::invalid_value(format!(
            "role \"{role}\" is not one of this organisation's roles: {}",
            allowed.join(", ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scim_core::ScimType;

    #[test]
    fn check_role_rules() {
        let allowed: Vec<String> = ["Admin", "Member", "Viewer"].map(String::from).to_vec();
        let mut u = User {
            user_name: "a".into(),
            ..User::default()
        };
        check_role(&mut u, &allowed, "Member").unwrap();
        assert_eq!(u.role.as_deref(), Some("Member"));

        u.role = Some("admin".into());
        check_role(&mut u, &allowed, "Member").unwrap();
        assert_eq!(
            u.role.as_deref(),
            Some("Admin"),
            "stored in the organisation's spelling"
        );

        u.role = Some("Owner".into());
        let e = check_role(&mut u, &allowed, "Member").unwrap_err();
        assert_eq!((e.status, e.scim_type), (400, Some(ScimType::InvalidValue)));
        assert_eq!(
            e.detail,
            "role \"Owner\" is not one of this organisation's roles: Admin, Member, Viewer"
        );
    }
}
