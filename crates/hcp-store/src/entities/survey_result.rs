//! `survey_results`: a unit's 第三方评价 results for a period, imported from a survey agency's
//! file. Replicated by the unit's path. Its table is created with `self_assessments`
//! ([`super::self_assessment::SERVER_DDL`]).

use hcp_domain::survey::SurveyMethod;
use hcp_protocol::{Entity, EntityRow, SurveyResultRow};

use crate::{args, parse_col, DbError, DbResult, Replicated, Row, Value};

pub const TABLE: &str = "survey_results";

/// The five level counts as stored (`a,b,c,d,e`).
pub fn levels_text(levels: Option<[u32; 5]>) -> Option<String> {
    levels.map(|l| l.iter().map(u32::to_string).collect::<Vec<_>>().join(","))
}

fn parse_levels(s: &str) -> DbResult<[u32; 5]> {
    let v: Vec<u32> = s
        .split(',')
        .map(|p| p.parse().map_err(|_| DbError::Corrupt(format!("survey_results.levels = '{s}'"))))
        .collect::<DbResult<_>>()?;
    v.try_into().map_err(|_| DbError::Corrupt(format!("survey_results.levels = '{s}'")))
}

impl Replicated for SurveyResultRow {
    const ENTITY: Entity = Entity::SurveyResult;
    const TABLE: &'static str = TABLE;
    const COLUMNS: &'static str =
        "id, unit_id, unit_path, period, method, agency, respondents, satisfaction_centi, levels,
    note, file_name, imported_by_name, imported_at, version";

    fn from_row(r: &Row) -> DbResult<Self> {
        let method: String = r.get(4)?;
        let levels: Option<String> = r.get(8)?;
        Ok(SurveyResultRow {
            id: r.get(0)?,
            unit_id: r.get(1)?,
            unit_path: r.get(2)?,
            period: r.get(3)?,
            method: parse_col(&method, "survey_results.method", SurveyMethod::parse)?,
            agency: r.get(5)?,
            respondents: r.get(6)?,
            satisfaction_centi: r.get(7)?,
            levels: levels.as_deref().map(parse_levels).transpose()?,
            note: r.get(9)?,
            file_name: r.get(10)?,
            imported_by_name: r.get(11)?,
            imported_at: r.get(12)?,
            version: r.get(13)?,
        })
    }

    fn values(&self) -> DbResult<Vec<Value>> {
        Ok(args![
            self.id,
            self.unit_id,
            &self.unit_path,
            &self.period,
            self.method.as_str(),
            &self.agency,
            self.respondents,
            self.satisfaction_centi,
            levels_text(self.levels),
            &self.note,
            &self.file_name,
            &self.imported_by_name,
            &self.imported_at,
            self.version
        ])
    }

    fn id(&self) -> i64 {
        self.id
    }

    fn into_entity(self) -> EntityRow {
        EntityRow::SurveyResult(self)
    }
}
