//! The PouchDB reference: the snapshot's rows as CouchDB documents.

use hcp_protocol::EntityRow;
use serde_json::{Map, Value};

/// A row as a PouchDB document: every field of the row as it is on the wire, plus `_id`
/// (`<entity>:<id>`, the id zero-padded so documents sort by id) and `type` (the entity).
pub fn to_doc(row: &EntityRow) -> anyhow::Result<Value> {
    // The wire form is `{"entity": "rating", "row": {…}}`.
    let mut wire = serde_json::to_value(row)?;
    let entity = wire
        .get("entity")
        .and_then(Value::as_str)
        .ok_or_else(|| anyhow::anyhow!("a snapshot row without its entity"))?
        .to_owned();
    let mut fields = match wire.get_mut("row").map(Value::take) {
        Some(Value::Object(m)) => m,
        _ => anyhow::bail!("a snapshot row without its fields"),
    };
    let id = fields.get("id").and_then(Value::as_i64).ok_or_else(|| anyhow::anyhow!("a {entity} row without an id"))?;
    let mut doc = Map::with_capacity(fields.len() + 2);
    doc.insert("_id".into(), Value::String(format!("{entity}:{id:012}")));
    doc.insert("type".into(), Value::String(entity));
    doc.append(&mut fields);
    Ok(Value::Object(doc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hcp_protocol::{OrgUnitRow, SettingRow};

    #[test]
    fn a_row_becomes_a_document_with_its_fields() {
        let row = EntityRow::Setting(SettingRow {
            id: 42,
            unit_id: 1,
            unit_path: "/1/".into(),
            key: "policy".into(),
            value: serde_json::json!({"days": 5}),
            updated_at: "2026-11-21T00:00:00Z".into(),
        });
        let doc = to_doc(&row).expect("doc");
        assert_eq!(doc["_id"], "setting:000000000042");
        assert_eq!(doc["type"], "setting");
        assert_eq!(doc["key"], "policy");
        assert_eq!(doc["value"]["days"], 5);
        assert_eq!(doc["unit_path"], "/1/");
        assert!(doc.get("row").is_none() && doc.get("entity").is_none());
    }

    #[test]
    fn ids_sort_as_numbers() {
        let unit = |id| {
            serde_json::from_value::<OrgUnitRow>(serde_json::json!({
                "id": id, "parent_id": null, "kind": "city", "name": "江城市", "code": "C", "path": format!("/{id}/")
            }))
            .map(EntityRow::OrgUnit)
            .expect("org unit")
        };
        let a = to_doc(&unit(9)).expect("doc");
        let b = to_doc(&unit(10)).expect("doc");
        assert!(a["_id"].as_str() < b["_id"].as_str());
    }
}
