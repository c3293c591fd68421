//! The REST API over real HTTP against a freshly seeded database per test: the conformance suite
//! of the two storage backends. Every test runs once on SQLite and once on PostgreSQL (see
//! `hcp_server::testing` for how the PostgreSQL server is found).

mod admin;
mod append_only;
mod assign;
mod attachments;
mod authz;
mod calendar;
mod disclosure;
mod doc_numbers;
mod feed;
mod findings;
mod hardening;
mod hotline;
mod integrity;
mod month_stats;
mod password;
mod rankings;
mod replica_image;
mod self_assessment;
mod snapshot;
mod units;
mod watch;

use admin::{
    administrators_maintain_reference_data_within_their_jurisdiction,
    bad_input_gets_a_clear_error_and_never_a_server_error,
    every_endpoint_answers_each_role_and_hides_other_jurisdictions,
};
use append_only::evidence_reveals_and_the_audit_trail_are_append_only;
use assign::{
    a_case_assigned_to_another_departments_handler_reaches_that_handler_with_its_timeline,
    ids_named_in_commands_are_checked_and_foreign_cases_look_not_found,
};
use attachments::{
    attach_a_command_cites_a_pending_file_and_its_bytes_follow,
    attach_a_file_changed_after_upload_is_reported_by_the_evidence_verification,
    attach_a_known_hash_alone_does_not_open_another_districts_file, attach_abandoned_uploads_are_swept_and_sent_again,
    attach_files_follow_their_case_to_another_departments_handler, attach_limits_are_told_to_every_account,
    attach_refuses_renamed_programs_oversize_files_and_wrong_content,
    attach_uploads_resume_download_byte_identical_by_range_and_stay_in_the_jurisdiction,
};
use authz::the_authorization_matrix_holds_for_every_documented_operation;
use calendar::provisional_deadlines_are_marked_warned_of_and_recounted_when_the_notice_is_imported;
use disclosure::{
    the_audit_trail_filters_by_actor_target_and_period,
    the_public_disclosure_holds_no_personal_data_and_suppresses_small_counts,
};
use doc_numbers::document_numbers_are_unique_per_office_and_year_and_reserved_in_disjoint_blocks;
use feed::{
    concurrent_batches_with_shared_ratings_store_each_once, concurrent_writers_never_make_a_pull_skip_a_change,
    two_server_instances_share_one_database, writers_on_three_server_processes_never_make_a_pull_skip_a_change,
};
use findings::supervisors_record_findings_only_in_their_jurisdiction;
use hardening::{
    a_token_over_its_request_rate_is_slowed_down_alone, derived_reads_recheck_the_scope_after_a_move,
    every_role_reads_only_its_jurisdiction_in_snapshot_and_pull, half_open_connections_do_not_starve_the_server,
    intake_is_bounded_by_the_reporters_jurisdiction_and_audited_as_them,
    integrity_leads_reach_only_the_roles_that_may_read_them,
    the_contract_refuses_unknown_fields_and_every_error_has_a_body,
};
use hotline::{
    hotline_callbacks_arrive_once_in_order_past_failures_and_timeouts,
    hotline_deliveries_fail_hold_their_ticket_back_and_administrators_retry_them,
};
use integrity::integrity_leads_are_detected_decided_once_audited_and_leave_the_statistics;
use month_stats::closed_months_are_rolled_up_kept_current_and_sent_instead_of_old_ratings;
use password::a_user_changes_their_password_under_the_policy_and_their_other_sessions_end;
use rankings::{
    a_supervisor_confirms_only_the_rules_candidates_once,
    leagues_rank_only_the_callers_jurisdiction_with_the_policys_minimum_sample,
    the_bottom_rule_opens_one_rectification_case_per_run,
};
use replica_image::replica_images_hold_each_accounts_own_snapshot_and_download_by_range;
use self_assessment::{
    a_hall_manager_submits_once_per_quarter_and_a_supervisor_of_the_jurisdiction_reviews,
    a_survey_dry_run_names_every_bad_row_and_the_import_is_all_or_nothing_and_idempotent,
};
use snapshot::a_snapshot_streams_in_a_fixed_order_and_resumes_after_the_last_row_kept;
use units::{
    a_deactivated_unit_keeps_its_history_and_receives_nothing_new,
    a_moved_unit_takes_every_row_below_it_to_its_new_place,
    administrators_cannot_lock_themselves_or_their_jurisdiction_out,
};
use watch::the_deadline_watch_acts_once_through_the_feed_and_the_audit_log;

use hcp_server::seed::{seed_demo, SeedOptions, DEMO_PASSWORD};
use hcp_server::testing::{Backend, TestDb};
use hcp_server::{AppState, Db, RunningServer};
use serde_json::{json, Value};

/// Declares each listed `async fn name(backend: Backend)` as two tests, `sqlite::name` and
/// `postgres::name`.
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(hcp_server::testing::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if hcp_server::testing::postgres_server().is_some() {
                        super::$name(hcp_server::testing::Backend::Postgres).await
                    }
                }
            )*
        }
    };
}

conformance!(
    a_hall_manager_verifies_once_and_a_stale_or_foreign_command_is_refused,
    a_push_applies_in_client_order_and_rejections_do_not_block_the_queue,
    intake_is_validated_idempotent_and_opens_cases_for_bad_reviews,
    accountability_decisions_are_chained_and_the_chain_verifies,
    wrong_passwords_lock_out_only_that_user_from_that_address,
    evaluators_are_revealed_only_with_a_reason_to_the_right_roles_and_every_reveal_is_logged,
    the_rated_staff_member_appeals_and_an_overturned_review_leaves_the_statistics,
    concurrent_writers_never_make_a_pull_skip_a_change,
    concurrent_batches_with_shared_ratings_store_each_once,
    two_server_instances_share_one_database,
    administrators_maintain_reference_data_within_their_jurisdiction,
    bad_input_gets_a_clear_error_and_never_a_server_error,
    every_endpoint_answers_each_role_and_hides_other_jurisdictions,
    integrity_leads_are_detected_decided_once_audited_and_leave_the_statistics,
    a_snapshot_streams_in_a_fixed_order_and_resumes_after_the_last_row_kept,
    evidence_reveals_and_the_audit_trail_are_append_only,
    intake_is_bounded_by_the_reporters_jurisdiction_and_audited_as_them,
    integrity_leads_reach_only_the_roles_that_may_read_them,
    derived_reads_recheck_the_scope_after_a_move,
    half_open_connections_do_not_starve_the_server,
    the_contract_refuses_unknown_fields_and_every_error_has_a_body,
    every_role_reads_only_its_jurisdiction_in_snapshot_and_pull,
    a_token_over_its_request_rate_is_slowed_down_alone,
    document_numbers_are_unique_per_office_and_year_and_reserved_in_disjoint_blocks,
    a_case_assigned_to_another_departments_handler_reaches_that_handler_with_its_timeline,
    ids_named_in_commands_are_checked_and_foreign_cases_look_not_found,
    a_user_changes_their_password_under_the_policy_and_their_other_sessions_end,
    the_authorization_matrix_holds_for_every_documented_operation,
    writers_on_three_server_processes_never_make_a_pull_skip_a_change,
    provisional_deadlines_are_marked_warned_of_and_recounted_when_the_notice_is_imported,
    the_deadline_watch_acts_once_through_the_feed_and_the_audit_log,
    the_public_disclosure_holds_no_personal_data_and_suppresses_small_counts,
    the_audit_trail_filters_by_actor_target_and_period,
    supervisors_record_findings_only_in_their_jurisdiction,
    leagues_rank_only_the_callers_jurisdiction_with_the_policys_minimum_sample,
    the_bottom_rule_opens_one_rectification_case_per_run,
    a_supervisor_confirms_only_the_rules_candidates_once,
    a_deactivated_unit_keeps_its_history_and_receives_nothing_new,
    administrators_cannot_lock_themselves_or_their_jurisdiction_out,
    a_moved_unit_takes_every_row_below_it_to_its_new_place,
    hotline_callbacks_arrive_once_in_order_past_failures_and_timeouts,
    hotline_deliveries_fail_hold_their_ticket_back_and_administrators_retry_them,
    a_hall_manager_submits_once_per_quarter_and_a_supervisor_of_the_jurisdiction_reviews,
    a_survey_dry_run_names_every_bad_row_and_the_import_is_all_or_nothing_and_idempotent,
    attach_uploads_resume_download_byte_identical_by_range_and_stay_in_the_jurisdiction,
    attach_limits_are_told_to_every_account,
    attach_refuses_renamed_programs_oversize_files_and_wrong_content,
    attach_a_file_changed_after_upload_is_reported_by_the_evidence_verification,
    attach_a_command_cites_a_pending_file_and_its_bytes_follow,
    attach_files_follow_their_case_to_another_departments_handler,
    attach_a_known_hash_alone_does_not_open_another_districts_file,
    attach_abandoned_uploads_are_swept_and_sent_again,
    replica_images_hold_each_accounts_own_snapshot_and_download_by_range,
    closed_months_are_rolled_up_kept_current_and_sent_instead_of_old_ratings,
);

struct TestApp {
    server: RunningServer,
    db: Db,
    url: String,
    http: reqwest::Client,
    _store: TestDb,
}

async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// [`spawn_app`] with the server's state adjusted first (a test clock, say).
async fn spawn_app_with(backend: Backend, configure: impl FnOnce(&mut AppState)) -> TestApp {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date");
    let store = tokio::task::spawn_blocking(move || {
        let store = TestDb::new(backend).expect("a test database");
        seed_demo(&store.db, &SeedOptions { evaluations: 800, seed: 5, today }).expect("seed");
        store
    })
    .await
    .expect("seed task");
    let db = store.db.clone();
    let mut state = AppState::new(db.clone());
    configure(&mut state);
    let server = hcp_server::spawn(state, "127.0.0.1:0").await.expect("spawn");
    TestApp { server, db, url: store.url.clone(), http: reqwest::Client::new(), _store: store }
}

impl TestApp {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }

    async fn token(&self, user: &str) -> String {
        let v: Value = self
            .http
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({"username": user, "password": DEMO_PASSWORD}))
            .send()
            .await
            .expect("login")
            .json()
            .await
            .expect("json");
        v["token"].as_str().expect("token").to_owned()
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        let r = self.http.post(self.url(path)).bearer_auth(token).json(&body).send().await.expect("post");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Reports a bad review at 东湖区政务服务中心 and returns the (id, version) of the case it opened.
    async fn new_case(&self, record_no: &str) -> (i64, i64) {
        let (db, no) = (self.db.clone(), record_no.to_owned());
        let id = tokio::task::spawn_blocking(move || {
            hcp_server::seed::demo_bad_review(&db, &no, "社会保障卡补换", "材料没有一次性告知")
        })
        .await
        .expect("task")
        .expect("a new case");
        (id, 1)
    }

    /// (id, version) of a case in `state` under the named user's jurisdiction.
    async fn case_in(&self, user: &str, state: &str) -> (i64, i64) {
        let (user, state) = (user.to_owned(), state.to_owned());
        self.db
            .read(move |c| {
                c.query_row(
                    "SELECT c.id, c.version FROM cases c, users u JOIN org_units o ON o.id = u.unit_id
                      WHERE u.username = ?1 AND c.state = ?2 AND c.unit_path >= o.path AND c.unit_path < o.path || '~'
                      ORDER BY c.id LIMIT 1",
                    [user, state],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
            })
            .await
            .expect("a case in that state")
    }
}

fn cmd(id: &str, case_id: i64, base: i64, command: Value) -> Value {
    json!({"command_id": id, "case_id": case_id, "base_version": base, "command": command})
}

async fn a_hall_manager_verifies_once_and_a_stale_or_foreign_command_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let manager = app.token("donghu.manager").await;
    let (id, version) = app.new_case("N-1").await;

    let verify = cmd("cmd-1", id, version, json!({"type": "verify", "outcome": "genuine"}));
    let (status, body) = app.post(&manager, "/api/v1/cases/commands", verify.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "applied");
    assert_eq!(body["case"]["state"], "verified");
    assert_eq!(body["case"]["version"], version + 1);

    // The same command again is a duplicate, not a second verification.
    let (status, body) = app.post(&manager, "/api/v1/cases/commands", verify).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("duplicate")));

    // A command based on the old version is refused with version_conflict.
    let stale = cmd("cmd-2", id, version, json!({"type": "resolve_on_spot", "explanation": "已解释"}));
    let (status, body) = app.post(&manager, "/api/v1/cases/commands", stale).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("version_conflict")), "{body}");

    // Another district's hall manager may not touch it; a handler may not verify.
    let other = app.token("xishan.manager").await;
    let foreign = cmd("cmd-3", id, version + 1, json!({"type": "resolve_on_spot", "explanation": "x"}));
    let (status, body) = app.post(&other, "/api/v1/cases/commands", foreign).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("not_found")),
        "another jurisdiction's case is not found: {body}"
    );
    let handler = app.token("donghu.handler").await;
    let (id2, v2) = app.new_case("N-2").await;
    let (status, body) = app
        .post(
            &handler,
            "/api/v1/cases/commands",
            cmd("cmd-4", id2, v2, json!({"type": "verify", "outcome": "genuine"})),
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")), "a handler sees only their cases: {body}");
    // Illegal state: verifying an already verified case.
    let (status, body) = app
        .post(
            &manager,
            "/api/v1/cases/commands",
            cmd("cmd-5", id, version + 1, json!({"type": "verify", "outcome": "genuine"})),
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (422, Some("illegal_state")), "{body}");
    // A command on an existing case must say which version it saw; server ids are off limits.
    let (status, body) = app
        .post(
            &manager,
            "/api/v1/cases/commands",
            json!({"command_id": "cmd-7", "case_id": id, "command": {"type": "accept"}}),
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (422, Some("invalid_input")), "{body}");
    let (status, body) = app
        .post(
            &manager,
            "/api/v1/cases/commands",
            cmd("sys:intake-rating-999", id, version + 1, json!({"type": "accept"})),
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (422, Some("invalid_input")), "{body}");
    // An assignment to another district's handler is refused.
    let (xishan_handler, xishan_dept) = app
        .db
        .read(|c| {
            c.query_row("SELECT id, unit_id FROM users WHERE username = 'xishan.handler'", (), |r| {
                Ok((r.get::<i64>(0)?, r.get::<i64>(1)?))
            })
        })
        .await
        .expect("handler");
    let foreign_assign = cmd(
        "cmd-8",
        id,
        version + 1,
        json!({"type": "assign", "department_id": xishan_dept, "handler_id": xishan_handler}),
    );
    let (status, body) = app.post(&manager, "/api/v1/cases/commands", foreign_assign).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("invalid_input")), "{body}");
    assert!(body["message"].as_str().unwrap_or("").contains("辖区"), "{body}");
    // Unknown enum values and malformed bodies are 4xx with a message, never a panic.
    let (status, _) =
        app.post(&manager, "/api/v1/cases/commands", cmd("cmd-6", id, version + 1, json!({"type": "teleport"}))).await;
    assert_eq!(status, 422);
    let r = app
        .http
        .post(app.url("/api/v1/cases/commands"))
        .bearer_auth(&manager)
        .header("content-type", "application/json")
        .body("{\"command_id\": 12")
        .send()
        .await
        .expect("post");
    assert!(r.status().is_client_error());
    app.server.stop().await;
}

async fn a_push_applies_in_client_order_and_rejections_do_not_block_the_queue(backend: Backend) {
    let app = spawn_app(backend).await;
    let manager = app.token("donghu.manager").await;
    let (id, version) = app.new_case("N-3").await;
    let (handler_id, dept_id) = app
        .db
        .read(|c| {
            c.query_row("SELECT id, unit_id FROM users WHERE username = 'donghu.handler'", (), |r| {
                Ok((r.get::<i64>(0)?, r.get::<i64>(1)?))
            })
        })
        .await
        .expect("handler");
    // Sent out of order: seq 2 (assign) needs seq 1 (verify) to have been applied first.
    let assign = json!({"command_id": "o-2", "client_seq": 2, "case_id": id, "base_version": version + 1,
        "command": {"type": "assign", "department_id": dept_id, "handler_id": handler_id}});
    let verify = json!({"command_id": "o-1", "client_seq": 1, "case_id": id, "base_version": version,
        "command": {"type": "verify", "outcome": "genuine"}});
    let bad = json!({"command_id": "o-3", "client_seq": 3, "case_id": 999_999, "base_version": 1,
        "command": {"type": "accept"}});
    let after_bad = json!({"command_id": "o-4", "client_seq": 4, "case_id": id, "base_version": version + 2,
        "command": {"type": "escalate", "basis": {"type": "manual", "reason": "跨部门"}}});
    let body = json!({"client_id": "laptop-1", "commands": [assign, bad, verify, after_bad]});
    let (status, res) = app.post(&manager, "/api/v1/sync/push", body.clone()).await;
    assert_eq!(status, 200, "{res}");
    let results = res["results"].as_array().expect("results");
    let summary: Vec<(&str, &str)> =
        results.iter().map(|r| (r["command_id"].as_str().unwrap_or(""), r["status"].as_str().unwrap_or(""))).collect();
    assert_eq!(summary[0], ("o-1", "applied"));
    assert_eq!(summary[1], ("o-2", "applied"));
    assert_eq!(summary[2], ("o-3", "rejected"));
    assert_eq!(results[2]["code"], "not_found");
    // A hall manager may not escalate: rejected with the domain's code, after the bad one.
    assert_eq!(summary[3], ("o-4", "rejected"));
    assert_eq!(results[3]["code"], "role_not_allowed");
    // Pushing the same outbox again applies nothing twice.
    let (_, again) = app.post(&manager, "/api/v1/sync/push", body).await;
    let statuses: Vec<&str> =
        again["results"].as_array().expect("r").iter().map(|r| r["status"].as_str().unwrap_or("")).collect();
    assert_eq!(statuses, vec!["duplicate", "duplicate", "rejected", "rejected"]);
    // An oversized command is refused on its own, with a message.
    let huge = "长".repeat(10_000);
    let big = json!({"client_id": "laptop-1", "commands": [{"command_id": "o-6", "client_seq": 6, "case_id": id,
        "base_version": version + 2, "command": {"type": "escalate", "basis": {"type": "manual", "reason": huge}}}]});
    let (status, res) = app.post(&manager, "/api/v1/sync/push", big).await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(res["results"][0]["code"], "invalid_input");
    // An assignment to a department or handler that does not exist is refused, not a 500.
    let bogus = json!({"client_id": "laptop-1", "commands": [{"command_id": "o-5", "client_seq": 5, "case_id": id,
        "base_version": version + 2, "command": {"type": "assign", "department_id": 0, "handler_id": 0}}]});
    let (status, res) = app.post(&manager, "/api/v1/sync/push", bogus).await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(res["results"][0]["code"], "invalid_input");
    let applied = app
        .db
        .read(move |c| c.query_row("SELECT count(*) FROM case_events WHERE case_id = ?1", [id], |r| r.get::<i64>(0)))
        .await
        .expect("events");
    assert_eq!(applied, version + 2, "exactly two new events");
    app.server.stop().await;
}

async fn intake_is_validated_idempotent_and_opens_cases_for_bad_reviews(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.token("admin").await;
    let hall_code = app
        .db
        .read(|c| {
            c.query_row("SELECT code FROM org_units WHERE name = '东湖区政务服务中心'", (), |r| {
                r.get::<String>(0)
            })
        })
        .await
        .expect("hall");
    let rating = |no: &str, level: Value, channel: u8| {
        json!({"source": "test", "service_record_no": no, "unit_code": hall_code, "item_code": "X-1",
               "item_name": "居民身份证换领", "channel": channel, "level": level, "comment": "等了很久",
               "content_codes": [106], "real_name": true,
               "evaluator": {"name": "张三", "phone": "13812345678"}, "rated_at": "2026-11-20T09:30:00+08:00"})
    };
    let batch = json!({"ratings": [
        rating("R1", json!("very_satisfied"), 4),
        rating("R2", json!({"code": 1, "system": "zhejiang"}), 3),
        rating("R3", json!("very_satisfied"), 9),
        rating("R4", json!("so-so"), 4),
    ]});
    let (status, res) = app.post(&admin, "/api/v1/intake/ratings", batch.clone()).await;
    assert_eq!(status, 200, "{res}");
    let r = res["results"].as_array().expect("results");
    assert_eq!(r[0]["status"], "created");
    assert!(r[0]["case_id"].is_null());
    assert_eq!(r[1]["status"], "created");
    assert!(r[1]["case_id"].as_i64().is_some(), "a very dissatisfied review opens a case");
    assert_eq!(r[2]["status"], "rejected");
    assert!(r[2]["message"].as_str().unwrap_or("").contains("渠道"), "{}", r[2]);
    assert_eq!(r[3]["status"], "rejected");
    let (_, again) = app.post(&admin, "/api/v1/intake/ratings", batch).await;
    assert_eq!(again["results"][1]["status"], "duplicate");
    // The evaluator is masked everywhere but the server's own columns.
    let case_id = r[1]["case_id"].as_i64().expect("case");
    let masked = app
        .db
        .read(move |c| {
            c.query_row(
                "SELECT r.evaluator_masked FROM ratings r JOIN cases k ON k.rating_id = r.id WHERE k.id = ?1",
                [case_id],
                |row| row.get::<String>(0),
            )
        })
        .await
        .expect("masked");
    assert_eq!(masked, "张*（138****5678）");

    // Only administrators may report ratings; empty and oversized batches are refused.
    let manager = app.token("donghu.manager").await;
    let (status, body) =
        app.post(&manager, "/api/v1/intake/ratings", json!({"ratings": [rating("R9", json!("satisfied"), 4)]})).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")));
    let (status, _) = app.post(&admin, "/api/v1/intake/ratings", json!({"ratings": []})).await;
    assert_eq!(status, 422);
    let many: Vec<Value> = (0..1001).map(|i| rating(&format!("M{i}"), json!("satisfied"), 4)).collect();
    let (status, _) = app.post(&admin, "/api/v1/intake/ratings", json!({ "ratings": many })).await;
    assert_eq!(status, 422);

    // A 12345 complaint opens a case once per ticket.
    let complaint = json!({"ticket_no": "T-1", "unit_code": hall_code, "summary": "市民来电反映窗口推诿",
                           "received_at": "2026-11-20T10:00:00+08:00"});
    let (status, first) = app.post(&admin, "/api/v1/intake/complaints", complaint.clone()).await;
    assert_eq!((status, first["status"].as_str()), (200, Some("applied")), "{first}");
    assert_eq!(first["case"]["source"], "hotline_12345");
    let (_, second) = app.post(&admin, "/api/v1/intake/complaints", complaint).await;
    assert_eq!(second["status"], "duplicate");
    app.server.stop().await;
}

async fn accountability_decisions_are_chained_and_the_chain_verifies(backend: Backend) {
    let app = spawn_app(backend).await;
    let supervisor = app.token("donghu.supervisor").await;
    let liaison = app.token("donghu.liaison").await;
    let (id, mut version) = app.case_in("donghu.supervisor", "in_rectification").await;
    let escalation_level = |v: &Value| v["case"]["escalation_level"].as_u64().unwrap_or(0);
    let mut level = 0;
    let mut n = 0;
    while level < 3 {
        n += 1;
        let (status, body) = app
            .post(
                &supervisor,
                "/api/v1/cases/commands",
                cmd(
                    &format!("esc-{n}"),
                    id,
                    version,
                    json!({"type": "escalate", "basis": {"type": "manual", "reason": "多次整改不到位"}}),
                ),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        version = body["case"]["version"].as_i64().expect("version");
        level = escalation_level(&body);
    }
    // The person held accountable: a staff member of the case's district.
    let staff: i64 = app
        .db
        .read(move |c| {
            c.query_row(
                "SELECT s.id FROM staff s, cases k, org_units d
                  WHERE k.id = ?1 AND d.kind IN ('district', 'park')
                    AND k.unit_path >= d.path AND k.unit_path < d.path || '~'
                    AND s.unit_path >= d.path AND s.unit_path < d.path || '~'
                  ORDER BY s.id LIMIT 1",
                [id],
                |r| r.get(0),
            )
        })
        .await
        .expect("a staff member");
    let decision = cmd(
        "acc-1",
        id,
        version,
        json!({"type": "record_accountability", "decision": {"type": "admonition"}, "subject_staff_id": staff,
               "reason": "整改期限内未落实", "evidence": ["谈话记录.pdf"]}),
    );
    let (status, body) = app.post(&liaison, "/api/v1/cases/commands", decision).await;
    assert_eq!(status, 200, "{body}");
    let r = app.http.get(app.url("/api/v1/audit/evidence/verify")).bearer_auth(&liaison).send().await.expect("verify");
    let report: Value = r.json().await.expect("json");
    assert_eq!(report["valid"], true);
    assert_eq!(report["length"], 1);
    let manager = app.token("donghu.manager").await;
    let r = app.http.get(app.url("/api/v1/audit/evidence/verify")).bearer_auth(&manager).send().await.expect("verify");
    assert_eq!(r.status().as_u16(), 403);
    app.server.stop().await;
}

async fn wrong_passwords_lock_out_only_that_user_from_that_address(backend: Backend) {
    let app = spawn_app(backend).await;
    let login = |from: &reqwest::Client, user: &str, pw: &str| {
        from.post(app.url("/api/v1/auth/login")).json(&json!({"username": user, "password": pw})).send()
    };
    for _ in 0..5 {
        assert_eq!(login(&app.http, "donghu.manager", "wrong").await.expect("login").status().as_u16(), 401);
    }
    // From this address, even the right password waits, and the answer says how long.
    let r = login(&app.http, "donghu.manager", DEMO_PASSWORD).await.expect("login");
    assert_eq!(r.status().as_u16(), 429);
    let retry: u64 = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After header in seconds");
    assert!((1..=15 * 60).contains(&retry), "{retry}");
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["code"], "throttled");
    // The real user at another computer signs in: slowed (a second per failure over the limit
    // for the name), not locked out.
    let elsewhere = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .expect("a client on another loopback address");
    let started = std::time::Instant::now();
    let r = login(&elsewhere, "donghu.manager", DEMO_PASSWORD).await.expect("login");
    assert_eq!(r.status().as_u16(), 200, "the right password from another address works");
    assert!(started.elapsed() >= std::time::Duration::from_millis(900), "but is slowed: {:?}", started.elapsed());
    // Other users at the first address are not affected.
    assert_eq!(login(&app.http, "xishan.manager", DEMO_PASSWORD).await.expect("login").status().as_u16(), 200);
    // Malformed input is a 4xx, never a panic.
    let r = app.http.post(app.url("/api/v1/auth/login")).json(&json!({"username": 5})).send().await.expect("post");
    assert!(r.status().is_client_error());
    app.server.stop().await;

    // One address guessing across many user names is slowed beyond its ceiling (here 12 failures;
    // the right password above cleared donghu.manager's), never locked out: a whole hall may sit
    // behind one NAT address, administrators included.
    let config = hcp_server::Config { login_max_failures_per_ip: 12, ..hcp_server::Config::default() };
    let state = AppState { config: std::sync::Arc::new(config), ..AppState::new(app.db.clone()) };
    let server = hcp_server::spawn(state, "127.0.0.1:0").await.expect("spawn");
    let login = |user: String, pw: &str| {
        app.http
            .post(format!("{}/api/v1/auth/login", server.url()))
            .json(&json!({"username": user, "password": pw}))
            .send()
    };
    for i in 0..12 {
        assert_eq!(login(format!("nobody{i}"), "wrong").await.expect("login").status().as_u16(), 401, "attempt {i}");
    }
    let started = std::time::Instant::now();
    let r = login("admin".into(), DEMO_PASSWORD).await.expect("login");
    assert_eq!(r.status().as_u16(), 200, "the administrator behind the same address signs in");
    assert!(started.elapsed() >= std::time::Duration::from_millis(900), "slowed: {:?}", started.elapsed());
    server.stop().await;
}

async fn evaluators_are_revealed_only_with_a_reason_to_the_right_roles_and_every_reveal_is_logged(backend: Backend) {
    let app = spawn_app(backend).await;
    let (rating_id, name): (i64, String) = app
        .db
        .read(|c| {
            c.query_row(
                "SELECT r.id, r.evaluator_name FROM ratings r JOIN org_units o ON o.name = '东湖区政务服务中心'
                  WHERE r.real_name = 1 AND r.unit_path >= o.path AND r.unit_path < o.path || '~' LIMIT 1",
                (),
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
        })
        .await
        .expect("a real-name rating");
    let path = format!("/api/v1/ratings/{rating_id}/reveal");
    let manager = app.token("donghu.manager").await;
    let (status, body) = app.post(&manager, &path, json!({"reason": "回访核实"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["name"], name.as_str());
    let (status, _) = app.post(&manager, &path, json!({"reason": "看"})).await;
    assert_eq!(status, 422, "a reason is required");
    let handler = app.token("donghu.handler").await;
    let (status, body) = app.post(&handler, &path, json!({"reason": "回访核实"})).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")));
    let other = app.token("xishan.manager").await;
    let (status, _) = app.post(&other, &path, json!({"reason": "回访核实"})).await;
    assert_eq!(status, 404, "another district's rating is not found");
    let logged =
        app.db.read(|c| c.query_row("SELECT count(*) FROM reveals", (), |r| r.get::<i64>(0))).await.expect("log");
    assert_eq!(logged, 1, "exactly the one successful reveal is logged");
    app.server.stop().await;
}

async fn the_rated_staff_member_appeals_and_an_overturned_review_leaves_the_statistics(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.token("admin").await;
    let (hall, employee_no): (String, String) = app
        .db
        .read(|c| {
            c.query_row(
                "SELECT o.code, s.employee_no FROM users u JOIN staff s ON s.id = u.staff_id JOIN org_units o ON o.id = s.unit_id
                  WHERE u.username = 'donghu.staff'", (),
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        }).await
        .expect("the demo staff member is linked to a staff record");
    let (status, body) = app
        .post(
            &admin,
            "/api/v1/intake/ratings",
            json!({"ratings": [{"source": "test", "service_record_no": "AP-1", "unit_code": hall, "staff_employee_no": employee_no,
                "item_code": "X-1", "item_name": "居民身份证换领", "channel": 4, "level": "dissatisfied",
                "comment": "态度不好", "rated_at": "2026-11-20T09:00:00+08:00"}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let case_id = body["results"][0]["case_id"].as_i64().expect("a case");
    let staff = app.token("donghu.staff").await;
    let (status, body) = app
        .post(
            &staff,
            "/api/v1/cases/commands",
            cmd("ap-1", case_id, 1, json!({"type": "appeal", "reason": "当时系统故障，已向群众解释"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let supervisor = app.token("donghu.supervisor").await;
    let (status, body) = app
        .post(
            &supervisor,
            "/api/v1/cases/commands",
            cmd(
                "ap-2",
                case_id,
                2,
                json!({"type": "decide_appeal", "decision": "overturned", "reason": "经调取监控核实，差评与事实不符"}),
            ),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["case"]["aggregate"]["excluded_from_stats"], true);
    let r =
        app.http.get(app.url("/api/v1/audit/evidence/verify")).bearer_auth(&supervisor).send().await.expect("verify");
    let report: Value = r.json().await.expect("json");
    assert_eq!(
        (report["valid"].as_bool(), report["length"].as_i64()),
        (Some(true), Some(2)),
        "appeal and decision are chained"
    );
    // Another staff member (no link to this review) may not appeal it.
    let manager = app.token("donghu.manager").await;
    let (status, _) = app
        .post(&manager, "/api/v1/cases/commands", cmd("ap-3", case_id, 3, json!({"type": "appeal", "reason": "x"})))
        .await;
    assert!(status == 403 || status == 422, "only the rated staff member appeals");
    app.server.stop().await;
}
