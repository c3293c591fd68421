//! `org_units`: the jurisdiction's units (and the scope unit's ancestors, for names).

/// The table (derived from the server's, see `hcp_store::replica_table`).
pub use hcp_store::entities::org_unit::replica_ddl as ddl;

/// Deactivated units (已停用, see `OrgUnitRow::active`): kept for the history, offered for
/// nothing new.
pub const ACTIVE_DDL: &str = "
ALTER TABLE org_units ADD COLUMN active INTEGER NOT NULL DEFAULT 1;
";
