//! The sync stream: snapshot lines, counts, resume points and change-feed pages.

use super::*;

/// Row counts per entity, in snapshot trailers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Counts {
    pub org_unit: u64,
    pub staff: u64,
    #[serde(default)]
    pub user: u64,
    pub rating: u64,
    pub case: u64,
    pub case_event: u64,
    #[serde(default)]
    pub service_item: u64,
    #[serde(default)]
    pub setting: u64,
    #[serde(default)]
    pub integrity_flag: u64,
    #[serde(default)]
    pub award: u64,
    #[serde(default)]
    pub self_assessment: u64,
    #[serde(default)]
    pub survey_result: u64,
    #[serde(default)]
    pub attachment: u64,
    #[serde(default)]
    pub rating_stat: u64,
}

impl Counts {
    pub fn add(&mut self, e: Entity, n: u64) {
        match e {
            Entity::OrgUnit => self.org_unit += n,
            Entity::Staff => self.staff += n,
            Entity::User => self.user += n,
            Entity::Rating => self.rating += n,
            Entity::Case => self.case += n,
            Entity::CaseEvent => self.case_event += n,
            Entity::ServiceItem => self.service_item += n,
            Entity::Setting => self.setting += n,
            Entity::IntegrityFlag => self.integrity_flag += n,
            Entity::Award => self.award += n,
            Entity::SelfAssessment => self.self_assessment += n,
            Entity::SurveyResult => self.survey_result += n,
            Entity::Attachment => self.attachment += n,
            Entity::RatingStat => self.rating_stat += n,
        }
    }
    pub fn get(&self, e: Entity) -> u64 {
        match e {
            Entity::OrgUnit => self.org_unit,
            Entity::Staff => self.staff,
            Entity::User => self.user,
            Entity::Rating => self.rating,
            Entity::Case => self.case,
            Entity::CaseEvent => self.case_event,
            Entity::ServiceItem => self.service_item,
            Entity::Setting => self.setting,
            Entity::IntegrityFlag => self.integrity_flag,
            Entity::Award => self.award,
            Entity::SelfAssessment => self.self_assessment,
            Entity::SurveyResult => self.survey_result,
            Entity::Attachment => self.attachment,
            Entity::RatingStat => self.rating_stat,
        }
    }
    pub fn total(&self) -> u64 {
        self.org_unit
            + self.staff
            + self.user
            + self.rating
            + self.case
            + self.case_event
            + self.service_item
            + self.setting
            + self.integrity_flag
            + self.award
            + self.self_assessment
            + self.survey_result
            + self.attachment
            + self.rating_stat
    }
}

/// One line of the NDJSON snapshot stream (`GET /api/v1/sync/snapshot`).
///
/// The stream starts with a `begin` line, carries one `row` line per row, and ends with an `end`
/// line holding the cursor to pull from next and the count of rows sent per entity. A stream
/// without its `end` line was cut off and must not be trusted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "t", rename_all = "snake_case")]
// Nearly every line is a `Row`, so boxing it would cost an allocation per row for nothing.
#[allow(clippy::large_enum_variant)]
pub enum SnapshotLine {
    Begin {
        scope_path: String,
        /// Expected rows per entity, for progress bars. A resumed stream counts only what it sends.
        expected: Counts,
        /// The cursor the `end` line will carry (absent from older servers): a client that saves
        /// part of the rows can resume with it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cursor: Option<i64>,
        /// Present when the server resumes an interrupted snapshot as asked: where it starts.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        resumed: Option<SnapshotResume>,
        /// The replication window (absent: the whole history): see [`Window`].
        #[serde(default, skip_serializing_if = "Option::is_none")]
        window: Option<Window>,
    },
    Row {
        #[serde(flatten)]
        row: EntityRow,
    },
    End {
        cursor: i64,
        counts: Counts,
    },
}

impl SnapshotLine {
    /// Decodes one line of the stream. Nearly every line is a row, written
    /// `{"t":"row","entity":…,"row":{…}}`: such a line is read directly as the [`EntityRow`] it
    /// carries (serde's generic path for the flattened, tagged line first buffers every field of
    /// the row, which took half the decoding time of a city's snapshot). Any other line, or a row
    /// written another way, goes through the generic path.
    pub fn from_json(line: &[u8]) -> serde_json::Result<SnapshotLine> {
        if line.starts_with(br#"{"t":"row","entity":"#) {
            if let Ok(row) = serde_json::from_slice::<EntityRow>(line) {
                return Ok(SnapshotLine::Row { row });
            }
        }
        serde_json::from_slice(line)
    }
}

/// Where a resumed snapshot starts: entities stream in the order of [`Entity::ALL`], each by id,
/// so `(entity, after_id)` names the last row the client kept. The stream sends the rows of
/// `entity` with an id above `after_id`, then every later entity in full, and ends with the
/// interrupted attempt's `cursor`: pulling from it re-applies whatever changed in between.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SnapshotResume {
    /// The cursor of the interrupted attempt's `begin` line.
    pub cursor: i64,
    pub entity: Entity,
    pub after_id: i64,
}

/// The query of `GET /api/v1/sync/snapshot`: empty for a whole snapshot; to resume an
/// interrupted one, its cursor and scope and the last row kept (`resume_after` defaults to 0,
/// the whole entity). A server ignores a resume for another scope than the caller's and sends
/// the whole snapshot (its `begin` line then has no `resumed`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SnapshotQuery {
    /// The `cursor` of the interrupted attempt's `begin` line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume_cursor: Option<i64>,
    /// The unit path the interrupted attempt was for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume_scope: Option<String>,
    /// The entity of the last row kept (`org_unit`, `staff`, `user`, `rating`, `case`, `case_event`,
    /// `service_item`, `setting`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume_entity: Option<String>,
    /// The id of the last row kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume_after: Option<i64>,
}

impl SnapshotQuery {
    pub fn resume(scope: &str, from: &SnapshotResume) -> SnapshotQuery {
        SnapshotQuery {
            resume_cursor: Some(from.cursor),
            resume_scope: Some(scope.to_owned()),
            resume_entity: Some(from.entity.as_str().to_owned()),
            resume_after: Some(from.after_id),
        }
    }
}

/// What happened to a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeOp {
    Upsert,
    Delete,
}

/// One entry of the change feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Change {
    /// Position in the change feed; strictly increasing.
    pub seq: i64,
    pub op: ChangeOp,
    pub entity: Entity,
    pub entity_id: i64,
    /// The row's current state for upserts; absent for deletes.
    pub row: Option<EntityRow>,
}

/// `GET /api/v1/sync/pull?after=N&limit=M`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PullResponse {
    pub changes: Vec<Change>,
    /// The cursor to send as `after` next time (covers skipped out-of-scope changes too).
    pub cursor: i64,
    /// True when more changes wait after `cursor`.
    pub has_more: bool,
    /// The replication window as of this page (absent: the whole history). A replica whose window
    /// starts earlier moves it here, purging the ratings that left it, in the transaction that
    /// applies the page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<Window>,
}

/// How much rating history a replica holds in full: every rating from the first month of the
/// window on, and every rating that opened a case. The statistics of earlier months come from the
/// server's month rows ([`RatingStatRow`]). Set by the jurisdiction's policy (`sync.window_months`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// `YYYY-MM`: the first month held in full (Beijing time).
    pub month: String,
    /// RFC 3339 (UTC, whole seconds): the month's first instant. Ratings rated before it are held
    /// only when they opened a case.
    pub since: String,
}
