//! What the screens do: the inbox and case commands, documents, statistics, the 督办 board,
//! notifications, the outbox, integrity flags, awards and self-assessments. Each reads or writes
//! the replica (offline) or asks the server where it must.

use super::*;

impl App {
    /// The inbox, read from the replica with the user's pending commands applied (works offline).
    pub async fn list_cases(&self, mut query: CaseQuery) -> ApiResult<CasePage> {
        // Deadline windows count from today in Beijing, whatever the laptop's time zone; the
        // at-risk window in working days of the jurisdiction's calendar and policy.
        let today = hcp_domain::calendar::beijing_date(chrono::Utc::now());
        query.today = Some(today.format("%Y-%m-%d").to_string());
        self.with_replica(move |r, a, cal| {
            if query.due == Some(hcp_replica::DueWindow::AtRisk) {
                let (calendar, policy) = cases::jurisdiction(r, cal, &a.user.scope_path)?;
                query.at_risk_until =
                    Some(policy.escalation.at_risk_until(&calendar, today).format("%Y-%m-%d").to_string());
            }
            let mut page = r.list_cases(&query)?;
            cases::overlay(r, &mut page.items, &cases::actor(&a.user)?, cal, chrono::Utc::now())?;
            Ok(page)
        })
        .await
    }

    /// Whether the official calendar of this or next year is missing (administrators and
    /// supervisors: the workbench's banner), read from the calendar the server distributed.
    pub async fn calendar_status(&self) -> ApiResult<CalendarStatus> {
        let today = hcp_domain::calendar::beijing_date(chrono::Utc::now());
        self.with_replica(move |r, a, cal| calendar::status(r, &a.user, cal, today)).await
    }

    /// One case with its timeline and the actions this user may take now.
    pub async fn case_detail(&self, case_id: i64) -> ApiResult<CaseDetail> {
        self.with_replica(move |r, a, cal| cases::detail(r, &a.user, case_id, cal, chrono::Utc::now())).await
    }

    /// Validates a command with the domain rules and queues it; it reaches the server with the
    /// next sync (at once when online). Works offline.
    #[tracing::instrument(skip_all, fields(kind = %command.kind().as_str()))]
    pub async fn issue(&self, case_id: Option<i64>, command: CaseCommand) -> ApiResult<Issued> {
        let (issued, counts) = self
            .with_replica(move |r, a, cal| {
                let issued = cases::issue(r, &a.user, case_id, &command, cal, chrono::Utc::now())?;
                Ok((issued, r.outbox_counts()?))
            })
            .await?;
        self.refresh_counts(counts);
        self.wake.notify_one();
        Ok(issued)
    }

    /// Rectification notices for the given cases as one PDF, saved in the app's documents folder
    /// (`<data dir>/notices/`). A case's first notice takes the next document number (文号) of the
    /// office's block reserved on this laptop (reserving more first when online), so it works
    /// offline; saving or printing it again keeps its number.
    pub async fn print_notices(&self, doc: NoticeDoc, case_ids: Vec<i64>) -> ApiResult<NoticeFile> {
        let out = self.data_dir.join("notices");
        let ids = case_ids.clone();
        let need = self
            .with_replica(move |r, a, cal| print::numbers_needed(r, &a.user, doc, &ids, cal, chrono::Utc::now()))
            .await?;
        if need.needed > need.left {
            let active = self.active()?;
            let topped = hcp_sync::top_up_doc_numbers(
                &active.client,
                &active.token,
                active.replica.clone(),
                need.unit_id,
                &[need.year],
                need.needed,
            )
            .await;
            match topped {
                Ok(_) => {}
                Err(hcp_sync::SyncError::Network(_)) => {
                    return Err(ApiError::new(
                        ErrorCode::NoDocNumbers,
                        print::no_numbers_message(need.needed, need.left),
                    ))
                }
                Err(e) => {
                    let e = ApiError::from(e);
                    return Err(ApiError::new(e.code, format!("无法为本单位取得文号：{}", e.message)));
                }
            }
        }
        self.with_replica(move |r, a, cal| print::notices(r, &a.user, doc, &case_ids, cal, chrono::Utc::now(), &out))
            .await
    }

    /// Page `page` (from 0) of the rectification notices for the given cases, as they will print
    /// (an image drawn from the PDF's layout); nothing is saved. Works offline.
    pub async fn preview_notices(&self, doc: NoticeDoc, case_ids: Vec<i64>, page: u32) -> ApiResult<NoticePreview> {
        self.with_replica(move |r, a, cal| print::preview(r, &a.user, doc, &case_ids, page, cal, chrono::Utc::now()))
            .await
    }

    /// Saves the notices for the given cases as one PDF (like [`App::print_notices`]) and hands it
    /// to the system for printing (`HCP_PRINT_COMMAND`, else the system's PDF viewer).
    pub async fn send_notices_to_printer(&self, doc: NoticeDoc, case_ids: Vec<i64>) -> ApiResult<NoticeFile> {
        let file = self.print_notices(doc, case_ids).await?;
        let path = PathBuf::from(&file.path);
        tokio::task::spawn_blocking(move || print::send_to_printer(&path)).await.map_err(internal)??;
        Ok(file)
    }

    /// Opens a document this app saved (a notice or a report), or the folder holding it, with the
    /// system's programs. Only files under the app's own `notices/` and `reports/` folders.
    pub async fn open_document(&self, path: String, folder: bool) -> ApiResult<()> {
        let refused = || ApiError::new(ErrorCode::NotFound, "找不到该文件：它可能已被移动或删除");
        let file = std::fs::canonicalize(&path).map_err(|_| refused())?;
        let ours = ["notices", "reports", maintenance::DIAGNOSTICS_DIR]
            .iter()
            .filter_map(|d| std::fs::canonicalize(self.data_dir.join(d)).ok())
            .any(|d| file.starts_with(d));
        if !ours || !file.is_file() {
            return Err(refused());
        }
        tokio::task::spawn_blocking(move || print::open_document(&file, folder)).await.map_err(internal)?
    }

    /// The statistics of the user's jurisdiction for one month (`YYYY-MM`; the newest with data when
    /// none), from the replica, the charts drawn in the screen's language and theme.
    pub async fn dashboard(&self, month: Option<String>, style: dashboard::ChartStyle) -> ApiResult<Dashboard> {
        self.with_replica(move |r, a, cal| {
            let (_, policy) = cases::jurisdiction(r, cal, &a.user.scope_path)?;
            dashboard::dashboard(r, month.as_deref(), chrono::Utc::now(), style.look(), &policy.deadlines)
        })
        .await
    }

    /// 堵点分析: the themes of the month's bad-review comments (`YYYY-MM`); works offline.
    pub async fn hotspots(&self, month: String) -> ApiResult<hotspots::Hotspots> {
        self.with_replica(move |r, _, _| hotspots::hotspots(r, &month)).await
    }

    /// 排名考核: the window or staff league of the user's jurisdiction for a month (`2026-11`), a
    /// quarter (`2026-Q4`) or a year (`2026`); works offline.
    pub async fn league(
        &self,
        of: hcp_domain::league::LeagueOf,
        period: String,
    ) -> ApiResult<hcp_domain::league::LeagueTable> {
        self.with_replica(move |r, a, cal| {
            let (_, policy) = cases::jurisdiction(r, cal, &a.user.scope_path)?;
            rankings::league(r, of, &period, &policy.assessment, chrono::Utc::now())
        })
        .await
    }

    /// 服务明星 / 办事能手: the period's candidates by the jurisdiction's rule and its confirmed
    /// awards; works offline.
    pub async fn star_board(&self, period: String) -> ApiResult<merit::StarBoard> {
        self.with_replica(move |r, a, cal| {
            let (_, policy) = cases::jurisdiction(r, cal, &a.user.scope_path)?;
            merit::board(r, &a.user, &period, &policy.assessment, chrono::Utc::now())
        })
        .await
    }

    /// Queues a supervisor's confirmation of a candidate; it reaches the server with the next sync
    /// (at once when online). Works offline.
    #[tracing::instrument(skip_all, fields(staff_id))]
    pub async fn confirm_award(
        &self,
        period: String,
        kind: hcp_domain::merit::AwardKind,
        staff_id: i64,
    ) -> ApiResult<merit::StarBoard> {
        let (board, counts) = self
            .with_replica(move |r, a, cal| {
                let (_, policy) = cases::jurisdiction(r, cal, &a.user.scope_path)?;
                let b = merit::confirm(r, &a.user, &period, kind, staff_id, &policy.assessment, chrono::Utc::now())?;
                Ok((b, r.outbox_counts()?))
            })
            .await?;
        self.refresh_counts(counts);
        self.wake.notify_one();
        Ok(board)
    }

    /// The period's confirmed awards as the list (名单) or the certificates (荣誉证书), a PDF in
    /// `<data dir>/reports/`; works offline.
    pub async fn print_awards(&self, period: String, what: merit::AwardDocument) -> ApiResult<PrintedFile> {
        let out = self.data_dir.join("reports");
        self.with_replica(move |r, a, _| merit::print(r, &a.user, &period, what, chrono::Utc::now(), &out)).await
    }

    /// 绩效考核: the period's score sheets per unit and per member of staff; works offline.
    pub async fn score_sheets(&self, period: String) -> ApiResult<merit::ScoreSheets> {
        self.with_replica(move |r, a, cal| {
            let (_, policy) = cases::jurisdiction(r, cal, &a.user.scope_path)?;
            merit::score_sheets(r, &a.user, &period, &policy.assessment, chrono::Utc::now())
        })
        .await
    }

    /// Writes the period's score sheets, with every item behind them, to `path` as XLSX.
    pub async fn export_score_sheets(&self, period: String, path: String) -> ApiResult<exports::ExportedFile> {
        let target = exports::target_path(&path, exports::ExportFormat::Xlsx)?;
        let (bytes, rows) = self
            .with_replica(move |r, a, cal| {
                let (_, policy) = cases::jurisdiction(r, cal, &a.user.scope_path)?;
                let s = merit::score_sheets(r, &a.user, &period, &policy.assessment, chrono::Utc::now())?;
                Ok((merit::sheets_xlsx(&s)?, (s.units.lines.len() + s.staff.lines.len()) as u32))
            })
            .await?;
        tokio::task::spawn_blocking(move || exports::write_file(&target, &bytes).map(|()| target))
            .await
            .map_err(internal)?
            .map(|p| exports::ExportedFile { path: p.display().to_string(), rows })
    }

    /// The 月调度通报 (monthly dispatch report) for `month` (`YYYY-MM`) as a PDF in
    /// `<data dir>/reports/`; works offline.
    pub async fn monthly_report(&self, month: String) -> ApiResult<PrintedFile> {
        let role = self.active()?.user.role;
        if !role.may_publish_monthly_report() {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                format!("月调度通报由督查人员出具，{}不能生成；统计数据可在本页查看", role.label_zh()),
            ));
        }
        let out = self.data_dir.join("reports");
        self.with_replica(move |r, a, _| dashboard::monthly_report(r, &a.user, &month, chrono::Utc::now(), &out)).await
    }

    /// Opens a 月调度通报 this app saved (under `<data dir>/reports/`), or its folder, with the
    /// system's programs; any other path is refused.
    pub async fn open_report(&self, path: String, target: opener::OpenTarget) -> ApiResult<()> {
        let reports = self.data_dir.join("reports");
        tokio::task::spawn_blocking(move || {
            let file = opener::checked_path(&reports, &path)?;
            print::open_document(&file, target == opener::OpenTarget::Folder)
        })
        .await
        .map_err(internal)?
    }

    /// Asks the server for a rating's evaluator, giving a reason (the server logs the reveal).
    /// Needs the network; nothing is stored locally.
    pub async fn reveal_evaluator(&self, rating_id: i64, reason: String) -> ApiResult<Evaluator> {
        let active = self.active()?;
        active.require_online("查看评价人信息")?;
        if reason.trim().chars().count() < 4 {
            return Err(ApiError::new(ErrorCode::InvalidInput, "请说明查看评价人信息的理由（至少 4 个字）"));
        }
        let e = active
            .client
            .reveal(&active.token, rating_id, reason.trim())
            .await
            .map_err(|e| online_only(e, "查看评价人信息"))?;
        Ok(Evaluator { real_name: e.real_name, name: e.name, phone: e.phone })
    }

    /// The department handlers this user may assign cases to.
    pub async fn assignees(&self) -> ApiResult<Vec<Assignee>> {
        self.with_replica(|r, a, _| cases::assignees(r, &a.user.scope_path)).await
    }

    /// The departments of this user's jurisdiction that cases may be assigned to, each with its
    /// handlers (批量交办 picks the department first).
    pub async fn assign_departments(&self) -> ApiResult<Vec<cases::DepartmentChoice>> {
        self.with_replica(|r, a, _| cases::assign_choices(r, &a.user.scope_path, None)).await
    }

    /// The units of the user's jurisdiction, for the inbox's unit filter (works offline).
    pub async fn units(&self) -> ApiResult<Vec<cases::UnitOption>> {
        self.with_replica(|r, a, _| {
            Ok(r.units_under(&a.user.scope_path)?
                .into_iter()
                .map(|(id, name, kind, depth)| cases::UnitOption { id, name, kind, depth })
                .collect())
        })
        .await
    }

    /// Queues an assignment of every case to one handler; cases the rules refuse are listed.
    pub async fn bulk_assign(&self, case_ids: Vec<i64>, handler_id: i64, department_id: i64) -> ApiResult<BulkResult> {
        self.queue_bulk(move |r, user, cal| {
            cases::bulk_assign(r, user, &case_ids, handler_id, department_id, cal, chrono::Utc::now())
        })
        .await
    }

    /// The 督办 board (supervisors; hall managers for their hall), from the replica (works offline).
    pub async fn board(&self) -> ApiResult<Board> {
        self.with_replica(|r, a, cal| board::board(r, &a.user, cal, chrono::Utc::now())).await
    }

    /// Queues 升级督办 on several cases (see [`board::bulk_escalate`]); refused cases are listed.
    pub async fn bulk_escalate(&self, case_ids: Vec<i64>, reason: Option<String>) -> ApiResult<BulkResult> {
        self.queue_bulk(move |r, user, cal| board::bulk_escalate(r, user, &case_ids, reason, cal, chrono::Utc::now()))
            .await
    }

    /// 催办: queues a reminder with one note on each case (one or many); cases the rules refuse
    /// are listed.
    pub async fn urge_cases(&self, case_ids: Vec<i64>, note: String) -> ApiResult<BulkResult> {
        self.queue_bulk(move |r, user, cal| cases::urge_cases(r, user, &case_ids, &note, cal, chrono::Utc::now())).await
    }

    /// Runs a bulk action that queues commands, then updates the outbox counts and wakes the sync.
    pub(crate) async fn queue_bulk(
        &self,
        run: impl FnOnce(&Replica, &hcp_protocol::UserInfo, &hcp_domain::Calendar) -> ApiResult<BulkResult> + Send + 'static,
    ) -> ApiResult<BulkResult> {
        let (result, counts) = self
            .with_replica(move |r, a, cal| {
                let res = run(r, &a.user, cal)?;
                Ok((res, r.outbox_counts()?))
            })
            .await?;
        self.refresh_counts(counts);
        self.wake.notify_one();
        Ok(result)
    }

    /// The bell's list: the newest notifications and the unread count (works offline).
    pub async fn notifications(&self) -> ApiResult<Notifications> {
        self.with_replica(|r, _, _| notify::list(r)).await
    }

    /// Marks notifications read (every one when `ids` is `None`); returns the list.
    pub async fn mark_notifications_read(&self, ids: Option<Vec<String>>) -> ApiResult<Notifications> {
        self.with_replica(move |r, _, _| {
            r.mark_notifications_read(ids.as_deref())?;
            notify::list(r)
        })
        .await
    }

    /// Turns the OS notifications on or off (the in-app list is kept either way).
    pub async fn set_os_notifications(&self, enabled: bool) -> ApiResult<Notifications> {
        self.with_replica(move |r, _, _| {
            r.set_meta(notify::NOTIFY_OS, if enabled { "on" } else { "off" })?;
            notify::list(r)
        })
        .await
    }

    /// Everything in the outbox: pending commands and those the server refused.
    pub async fn outbox(&self) -> ApiResult<Vec<OutboxItem>> {
        self.with_replica(|r, _, _| Ok(r.outbox()?)).await
    }

    /// Gives up a queued or refused command.
    pub async fn discard(&self, command_id: String) -> ApiResult<()> {
        let counts = self
            .with_replica(move |r, _, _| {
                if !r.discard(&command_id)? {
                    return Err(ApiError::new(
                        ErrorCode::NotFound,
                        "只能放弃被服务器拒绝的操作；尚未发送的待同步操作请使用“撤销”",
                    ));
                }
                Ok(r.outbox_counts()?)
            })
            .await?;
        self.refresh_counts(counts);
        Ok(())
    }

    /// Takes back a queued command before it is sent (撤销): only a pending command no sync has
    /// started sending, the last one queued for its case. Its projection disappears with it.
    #[tracing::instrument(skip_all)]
    pub async fn cancel(&self, command_id: String) -> ApiResult<()> {
        use hcp_replica::CancelRefusal;
        let counts = self
            .with_replica(move |r, _, _| {
                match r.cancel(&command_id)? {
                    Ok(item) => tracing::info!(kind = %item.kind, "queued command cancelled before it was sent"),
                    Err(CancelRefusal::NotFound) => {
                        return Err(ApiError::new(ErrorCode::NotFound, "该操作已不在待同步列表中（可能已同步完成）"))
                    }
                    Err(CancelRefusal::Rejected) => {
                        return Err(ApiError::new(
                            ErrorCode::Conflict,
                            "该操作已被服务器拒绝，无需撤销；如不再需要请点击“放弃”",
                        ))
                    }
                    Err(CancelRefusal::Sent) => {
                        return Err(ApiError::new(
                            ErrorCode::Conflict,
                            "该操作已开始发送到服务器，可能已被处理，不能撤销；同步完成后如需更正，请再提交新的操作",
                        ))
                    }
                    Err(CancelRefusal::LaterCommands) => {
                        return Err(ApiError::new(ErrorCode::Conflict, "该工单之后还有排队的操作，请先撤销后面的操作"))
                    }
                }
                Ok(r.outbox_counts()?)
            })
            .await?;
        self.refresh_counts(counts);
        Ok(())
    }

    /// The integrity-flag queue of the user's jurisdiction (`status`: `open`, …; all when empty),
    /// from the replica with the user's queued verdicts. Works offline.
    pub async fn integrity_flags(&self, status: Option<String>) -> ApiResult<Vec<FlagItem>> {
        self.with_replica(move |r, a, _| integrity::list(r, &a.user, status.as_deref())).await
    }

    /// Queues the verdict on an integrity flag; it reaches the server with the next sync (at
    /// once when online). Works offline.
    #[tracing::instrument(skip_all, fields(flag_id))]
    pub async fn decide_flag(
        &self,
        flag_id: i64,
        verdict: hcp_domain::integrity::FlagVerdict,
        note: String,
    ) -> ApiResult<FlagItem> {
        let (item, counts) = self
            .with_replica(move |r, a, _| {
                let (item, _) = integrity::decide(r, &a.user, flag_id, verdict, &note, chrono::Utc::now())?;
                Ok((item, r.outbox_counts()?))
            })
            .await?;
        self.refresh_counts(counts);
        self.wake.notify_one();
        Ok(item)
    }

    /// The 自我评价 screen for a quarter (`2026-Q4`; the current one when `None`): a hall
    /// manager's own hall, or every hall of a supervisor's jurisdiction. Works offline.
    pub async fn self_assessments(&self, period: Option<String>) -> ApiResult<self_assessment::SelfAssessmentScreen> {
        self.with_replica(move |r, a, _| self_assessment::screen(r, &a.user, period.as_deref(), chrono::Utc::now()))
            .await
    }

    /// Saves the hall manager's draft of a quarter's self-assessment on this laptop. Offline.
    pub async fn save_self_assessment_draft(
        &self,
        period: String,
        entries: Vec<self_assessment::EntryIn>,
    ) -> ApiResult<self_assessment::SelfAssessmentItem> {
        self.with_replica(move |r, a, _| self_assessment::save_draft(r, &a.user, &period, &entries, chrono::Utc::now()))
            .await
    }

    /// Queues the hall's self-assessment for the supervisor; it reaches the server with the next
    /// sync (at once when online). Works offline.
    #[tracing::instrument(skip_all)]
    pub async fn submit_self_assessment(
        &self,
        period: String,
        entries: Vec<self_assessment::EntryIn>,
    ) -> ApiResult<self_assessment::SelfAssessmentItem> {
        let (item, counts) = self
            .with_replica(move |r, a, _| {
                let item = self_assessment::submit(r, &a.user, &period, &entries, chrono::Utc::now())?;
                Ok((item, r.outbox_counts()?))
            })
            .await?;
        self.refresh_counts(counts);
        self.wake.notify_one();
        Ok(item)
    }

    /// Queues a supervisor's review (`approve`, or `return` with the reason). Works offline.
    #[tracing::instrument(skip_all, fields(id))]
    pub async fn review_self_assessment(
        &self,
        id: i64,
        decision: String,
        comment: String,
    ) -> ApiResult<self_assessment::SelfAssessmentItem> {
        let decision = self_assessment::parse_decision(&decision)?;
        let (item, counts) = self
            .with_replica(move |r, a, _| {
                let item = self_assessment::review(r, &a.user, id, decision, &comment, chrono::Utc::now())?;
                Ok((item, r.outbox_counts()?))
            })
            .await?;
        self.refresh_counts(counts);
        self.wake.notify_one();
        Ok(item)
    }

    /// The third-party survey results of the jurisdiction (`2026-11`, `2026`, or all), with the
    /// citizens' own satisfaction beside each. Works offline.
    pub async fn survey_results(&self, period: Option<String>) -> ApiResult<Vec<self_assessment::SurveyView>> {
        self.with_replica(move |r, a, _| self_assessment::surveys(r, &a.user, period.as_deref(), chrono::Utc::now()))
            .await
    }

    /// Reads a survey file (CSV or XLSX) and sends it to the server: `dry_run` reports every bad
    /// row and stores nothing; otherwise the whole file is stored or nothing. Needs the network.
    #[tracing::instrument(skip_all, fields(dry_run))]
    pub async fn import_surveys(&self, path: String, dry_run: bool) -> ApiResult<self_assessment::SurveyImportView> {
        let active = self.active()?;
        active.require_online("导入第三方评价")?;
        if !matches!(active.user.role, Role::Supervisor | Role::Administrator) {
            return Err(ApiError::new(ErrorCode::Forbidden, "只有督查人员和系统管理员可以导入第三方评价"));
        }
        let table = tokio::task::spawn_blocking(move || self_assessment::read_survey_file(Path::new(&path)))
            .await
            .map_err(internal)??;
        let req = hcp_protocol::SurveyImportRequest {
            dry_run,
            file_name: table.file_name.clone(),
            header: table.header,
            rows: table.rows,
        };
        let report: hcp_protocol::SurveyImportReport = active
            .client
            .send_json(&active.token, hcp_sync::Method::POST, "/api/v1/surveys/import", &req)
            .await
            .map_err(|e| online_only(e, "导入第三方评价"))?;
        if report.applied {
            // The stored results come back through the feed.
            self.wake.notify_one();
        }
        Ok(self_assessment::SurveyImportView::of(table.file_name, report))
    }

    /// Issues a refused command again, against the case as it stands now.
    pub async fn reissue(&self, command_id: String) -> ApiResult<Issued> {
        let (issued, counts) = self
            .with_replica(move |r, a, cal| {
                let item = r
                    .outbox_item(&command_id)?
                    .filter(|i| i.status == "rejected")
                    .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "只能重新提交被服务器拒绝的操作"))?;
                let unreadable =
                    |e: serde_json::Error| ApiError::new(ErrorCode::InvalidInput, format!("本地操作记录无法读取：{e}"));
                let now = chrono::Utc::now();
                let command = match item.client_command().map_err(unreadable)? {
                    ClientCommand::Case(command) => command,
                    ClientCommand::ConfirmAward(award) => {
                        // Checked again against the league as it stands now, then queued anew.
                        let (_, policy) = cases::jurisdiction(r, cal, &a.user.scope_path)?;
                        let command_id_new = merit::reissue(r, &a.user, &award, &policy.assessment, now)?;
                        r.discard(&command_id)?;
                        return Ok((Issued { command_id: command_id_new, projected_state: None }, r.outbox_counts()?));
                    }
                    ClientCommand::SubmitSelfAssessment(s) => {
                        let command_id_new = self_assessment::reissue_submission(r, &a.user, &item, &s, now)?;
                        return Ok((Issued { command_id: command_id_new, projected_state: None }, r.outbox_counts()?));
                    }
                    ClientCommand::ReviewSelfAssessment(v) => {
                        let command_id_new = self_assessment::reissue_review(r, &a.user, &item, &v, now)?;
                        return Ok((Issued { command_id: command_id_new, projected_state: None }, r.outbox_counts()?));
                    }
                    ClientCommand::DecideFlag(verdict) => {
                        // The verdict goes in again as a new command; then the refused one is given up.
                        let command_id_new = integrity::reissue(r, &a.user, &verdict, now)?;
                        r.discard(&command_id)?;
                        return Ok((Issued { command_id: command_id_new, projected_state: None }, r.outbox_counts()?));
                    }
                };
                // The evidence files the refused command cited go with the new one.
                let cite = |new_id: &str| attachments::carry_citations(&a.files, &command_id, new_id);
                let issued = cases::issue_citing(r, &a.user, item.case_id, &command, cal, chrono::Utc::now(), &cite)?;
                r.discard(&command_id)?;
                Ok((issued, r.outbox_counts()?))
            })
            .await?;
        self.refresh_counts(counts);
        self.wake.notify_one();
        Ok(issued)
    }
}
