//! `service_items`: the government service items of the jurisdiction (事项目录).

/// The table (derived from the server's, see `hcp_store::replica_table`).
pub use hcp_store::entities::service_item::replica_ddl as ddl;
