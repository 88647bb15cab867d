//! Organisations: created and updated by Humbol support; the key of every other row.

use diesel::prelude::*;

use crate::models::{micros, now, OrgRow};
use crate::pool::{read_txn, write_txn, DbConn};
use crate::schema::orgs;
use crate::{Cause, Org, OrgSettings, Store, StoreError};

impl Store {
    /// Creates or updates the organisation `slug`; `true` when it was created.
    pub fn put_org(&self, slug: &str, s: &OrgSettings) -> Result<(Org, bool), StoreError> {
        let p = &*self.inner;
        let roles =
            serde_json::to_string(&s.roles).map_err(|e| StoreError::Database(Cause::new(e)))?;
        let mut conn = p.write()?;
        write_txn(&mut conn, |conn| {
            let t = micros(now());
            let existing = find(conn, slug)?;
            let row = OrgRow {
                slug: slug.to_string(),
                name: s.name.clone(),
                scim_enabled: s.scim_enabled,
                roles: roles.clone(),
                default_role: s.default_role.clone(),
                created: existing.as_ref().map_or(t, |o| o.created),
                updated: t,
            };
            if existing.is_some() {
                diesel::update(orgs::table.find(slug))
                    .set(&row)
                    .execute(conn)?;
            } else {
                diesel::insert_into(orgs::table)
                    .values(&row)
                    .execute(conn)?;
            }
            Ok((row.into_org()?, existing.is_none()))
        })
    }

    /// The organisation `slug`, if it exists.
    pub fn org(&self, slug: &str) -> Result<Option<Org>, StoreError> {
        let p = &*self.inner;
        let mut conn = p.read()?;
        read_txn(&mut conn, |conn| {
            find(conn, slug)?.map(OrgRow::into_org).transpose()
        })
    }
}

/// The row of organisation `slug`.
pub fn find(conn: &mut DbConn, slug: &str) -> Result<Option<OrgRow>, StoreError> {
    Ok(orgs::table
        .find(slug)
        .select(OrgRow::as_select())
        .get_result(conn)
        .optional()?)
}

/// `NotFound` unless organisation `slug` exists (for writes that reference it).
pub fn require(conn: &mut DbConn, slug: &str) -> Result<(), StoreError> {
    let n: i64 = orgs::table
        .filter(orgs::slug.eq(slug))
        .count()
        .get_result(conn)?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
