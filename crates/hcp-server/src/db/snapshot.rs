//! The rows of a jurisdiction as a snapshot sends them: per entity, by id, as a role may read
//! them. Written once over [`hcp_store::Replicated`] (a scope's units and settings also reach its
//! ancestors: `Replicated::REACHES_ANCESTORS`); the entities with rules of their own (a case is
//! seen at its visibility path with its provisional deadlines, an account through its unit, a flag
//! as the role may see it) keep them here.

use hcp_domain::Role;
use hcp_protocol::{Entity, EntityRow};
use hcp_store::{EntityVisitor, Replicated};

use super::{cases, changes, integrity_flags, settings, users, Conn, DbResult};

/// Rows of `e` in scope with an id above `after` (0: all of them), within the replication window
/// starting at `since` (`""`: the whole history; see `hcp_store::Replicated::windowed`).
pub fn count(tx: &Conn<'_>, e: Entity, scope: &str, upper: &str, role: Role, after: i64, since: &str) -> DbResult<u64> {
    struct Count<'a, 'c> {
        tx: &'a Conn<'c>,
        scope: &'a str,
        upper: &'a str,
        role: Role,
        after: i64,
        since: &'a str,
    }
    impl EntityVisitor for Count<'_, '_> {
        type Out = DbResult<u64>;
        fn visit<T: Replicated>(self) -> DbResult<u64> {
            hcp_store::count_in_scope_after::<T>(self.tx, self.scope, self.upper, self.after, self.since)
        }
        fn own_code(self, e: Entity) -> DbResult<u64> {
            let Count { tx, scope, upper, role, after, .. } = self;
            match e {
                Entity::User => users::count_in_scope_after(tx, scope, upper, after),
                Entity::IntegrityFlag => integrity_flags::count_for_role_in_scope(tx, scope, upper, after, role),
                _ => changes::count_in_scope_after(tx, "cases", scope, upper, after),
            }
        }
    }
    hcp_store::visit(e, Count { tx, scope, upper, role, after, since })
}

/// Streams the rows of `e` in scope with an id above `after`, by id, as `role` may read them,
/// within the window starting at `since` (see [`count`]); `expected` of them.
#[allow(clippy::too_many_arguments)]
pub fn stream(
    tx: &Conn<'_>,
    e: Entity,
    scope: &str,
    upper: &str,
    role: Role,
    after: i64,
    since: &str,
    expected: u64,
    row: impl FnMut(EntityRow) -> DbResult<()>,
) -> DbResult<()> {
    struct Stream<'a, 'c, F> {
        tx: &'a Conn<'c>,
        scope: &'a str,
        upper: &'a str,
        role: Role,
        after: i64,
        since: &'a str,
        expected: u64,
        row: F,
    }
    impl<F: FnMut(EntityRow) -> DbResult<()>> EntityVisitor for Stream<'_, '_, F> {
        type Out = DbResult<()>;
        fn visit<T: Replicated>(self) -> DbResult<()> {
            let Stream { tx, scope, upper, after, since, expected, mut row, .. } = self;
            let dense = matches!(T::ENTITY, Entity::Rating | Entity::CaseEvent)
                && changes::dense_in_scope(tx, T::TABLE, expected, after)?;
            hcp_store::in_scope_after::<T>(tx, scope, upper, after, since, dense, |r| row(r.into_entity()))
        }
        fn own_code(self, e: Entity) -> DbResult<()> {
            let Stream { tx, scope, upper, role, after, expected, mut row, .. } = self;
            match e {
                Entity::User => users::rows_in_scope_after(tx, scope, upper, after, |r| row(EntityRow::User(r))),
                Entity::IntegrityFlag => integrity_flags::for_role_in_scope(tx, scope, upper, after, role, |r| {
                    row(EntityRow::IntegrityFlag(r))
                }),
                _ => {
                    let dense = changes::dense_in_scope(tx, "cases", expected, after)?;
                    let calendar = settings::calendar(tx, settings::bundled_calendar())?;
                    cases::in_scope(tx, scope, upper, after, dense, |mut r| {
                        cases::mark_provisional(&mut r, &calendar);
                        row(EntityRow::Case(r))
                    })
                }
            }
        }
    }
    hcp_store::visit(e, Stream { tx, scope, upper, role, after, since, expected, row })
}
