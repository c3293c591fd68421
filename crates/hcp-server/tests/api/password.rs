//! A user changes their own password: `POST /api/v1/auth/password`.

use hcp_server::seed::DEMO_PASSWORD;
use hcp_server::testing::Backend;
use serde_json::{json, Value};

use super::spawn_app;

pub async fn a_user_changes_their_password_under_the_policy_and_their_other_sessions_end(backend: Backend) {
    let app = spawn_app(backend).await;
    let here = app.token("donghu.manager").await;
    let elsewhere = app.token("donghu.manager").await;
    let change = |old: &str, new: &str| json!({"old_password": old, "new_password": new});
    let refused = |(status, body): (u16, Value)| {
        (
            status,
            body["code"].as_str().unwrap_or_default().to_owned(),
            body["message"].as_str().unwrap_or_default().to_owned(),
        )
    };

    // The policy, with a Chinese message for each failing rule.
    for (new, says) in [
        ("abc12", "至少需要 8 个字符"),
        ("abcdefghij", "须同时包含字母和数字"),
        ("1234567890", "须同时包含字母和数字"),
        ("abcd 12345", "不能包含空格"),
        (DEMO_PASSWORD, "不能与原密码相同"),
    ] {
        let (status, code, message) =
            refused(app.post(&here, "/api/v1/auth/password", change(DEMO_PASSWORD, new)).await);
        assert_eq!((status, code.as_str()), (422, "invalid_input"), "{new}");
        assert!(message.contains(says), "{new}: {message}");
    }
    // The current password must be right; unknown fields and a missing session are refused.
    let (status, code, message) =
        refused(app.post(&here, "/api/v1/auth/password", change("wrong-one1", "Newpass2026")).await);
    assert_eq!((status, code.as_str(), message.as_str()), (422, "invalid_input", "原密码不正确"));
    let mut extra = change(DEMO_PASSWORD, "Newpass2026");
    extra["username"] = json!("city.admin");
    assert!(app.post(&here, "/api/v1/auth/password", extra).await.0 / 100 == 4);
    let anonymous = app
        .http
        .post(app.url("/api/v1/auth/password"))
        .json(&change(DEMO_PASSWORD, "Newpass2026"))
        .send()
        .await
        .expect("post");
    assert_eq!(anonymous.status().as_u16(), 401);

    // Changed: this session goes on, the other one ends, the old password no longer signs in.
    let (status, _) = app.post(&here, "/api/v1/auth/password", change(DEMO_PASSWORD, "Newpass2026")).await;
    assert_eq!(status, 204);
    let me = |token: &str| app.http.get(app.url("/api/v1/me")).bearer_auth(token.to_owned()).send();
    assert_eq!(me(&here).await.expect("me").status().as_u16(), 200);
    assert_eq!(me(&elsewhere).await.expect("me").status().as_u16(), 401);
    // The pull checks the token on its page's own connection: the ended session gets no page.
    let pull =
        |token: &str| app.http.get(app.url("/api/v1/sync/pull?after=0&limit=5")).bearer_auth(token.to_owned()).send();
    assert_eq!(pull(&here).await.expect("pull").status().as_u16(), 200);
    let ended = pull(&elsewhere).await.expect("pull");
    assert_eq!(ended.status().as_u16(), 401);
    let ended: Value = ended.json().await.expect("json");
    assert_eq!(ended["code"], "unauthorized", "{ended}");
    assert!(ended.get("changes").is_none(), "{ended}");
    let login = |pw: &str| {
        app.http.post(app.url("/api/v1/auth/login")).json(&json!({"username": "donghu.manager", "password": pw})).send()
    };
    assert_eq!(login(DEMO_PASSWORD).await.expect("login").status().as_u16(), 401);
    assert_eq!(login("Newpass2026").await.expect("login").status().as_u16(), 200);

    // Audited (the refusal and the change), and no password is written anywhere in the trail.
    let rows: Vec<(String, String)> = app
        .db
        .read(|c| {
            c.query_map(
                "SELECT outcome, detail || target || user_name FROM audit_log WHERE action = 'auth.password' ORDER BY id",
                (),
                |r| Ok((r.get::<String>(0)?, r.get::<String>(1)?)),
            )
        })
        .await
        .expect("audit");
    assert_eq!(rows.iter().map(|(o, _)| o.as_str()).collect::<Vec<_>>(), vec!["failed", "ok"], "{rows:?}");
    assert!(rows.iter().all(|(_, text)| !text.contains("Newpass2026") && !text.contains("wrong-one1")));
    app.server.stop().await;
}
