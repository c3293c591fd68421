//! The desktop app's releases this server hands out, so that an intranet needs nothing else to
//! update its desktops.
//!
//! An administrator adds a signed package with `hcp-server release add FILE --signature SIG
//! --version V --target T --notes …`; the package goes into the releases folder
//! (`releases_dir`, `data/releases` by default) as `T/V/FILE`, and `index.json` there lists
//! them. The desktop app's updater asks `GET /api/v1/updates/{target}/{current_version}` and gets
//! the newest release for its target above its version (or 204), then downloads the file from
//! `GET /api/v1/updates/files/{target}/{version}/{file}` and installs it only when the
//! signature verifies against the public key built into the app.
//!
//! A target is the updater's `{os}-{arch}-{installer}`: `linux-x86_64-deb`, `linux-x86_64-rpm`,
//! `windows-x86_64-nsis`, `windows-x86_64-msi`.

use std::path::{Path, PathBuf};

use base64::Engine;
use serde::{Deserialize, Serialize};

/// One release of the desktop app for one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Release {
    pub target: String,
    pub version: String,
    /// The package's file name inside `target/version/`.
    pub file: String,
    /// The updater signature (the content of the `.sig` file the bundler or `tauri signer sign`
    /// wrote).
    pub signature: String,
    /// What is new, in Chinese (shown to the user before they agree to update).
    pub notes: String,
    /// RFC 3339.
    pub pub_date: String,
    pub sha256: String,
    pub bytes: u64,
}

/// Known target names: `{os}-{arch}-{installer}`.
pub fn valid_target(target: &str) -> bool {
    let parts: Vec<&str> = target.split('-').collect();
    matches!(
        parts.as_slice(),
        [os, arch, installer]
            if ["linux", "windows", "darwin"].contains(os)
                && ["x86_64", "aarch64", "i686", "armv7", "riscv64"].contains(arch)
                && ["deb", "rpm", "appimage", "nsis", "msi", "app"].contains(installer)
    )
}

/// A file name the store accepts: plain, no path, no leading dot.
fn valid_file_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && !name.starts_with('.')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+'))
}

/// What `hcp-server release add` is given.
#[derive(Debug, Clone, Copy)]
pub struct NewRelease<'a> {
    pub package: &'a Path,
    /// The content of the package's `.sig` file.
    pub signature: &'a str,
    pub notes: &'a str,
    pub target: &'a str,
    pub version: &'a str,
    /// When given, the signature must verify against this updater public key (the `.pub` file).
    pub pubkey: Option<&'a str>,
}

/// The releases folder and its index.
#[derive(Debug, Clone)]
pub struct ReleaseStore {
    dir: PathBuf,
}

impl ReleaseStore {
    pub fn new(dir: impl Into<PathBuf>) -> ReleaseStore {
        ReleaseStore { dir: dir.into() }
    }

    fn index_path(&self) -> PathBuf {
        self.dir.join("index.json")
    }

    /// Every release, in the order they were added (none when the folder does not exist yet).
    pub fn list(&self) -> anyhow::Result<Vec<Release>> {
        match std::fs::read(self.index_path()) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| anyhow::anyhow!("{} is damaged: {e}", self.index_path().display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(anyhow::anyhow!("cannot read {}: {e}", self.index_path().display())),
        }
    }

    /// Adds a package. Refuses an unknown target, a version that is not semver, a signature that
    /// is not an updater signature (or does not verify against `pubkey` when given), and a
    /// version already released for the target.
    pub fn add(&self, new: &NewRelease<'_>, now: chrono::DateTime<chrono::Utc>) -> anyhow::Result<Release> {
        let NewRelease { package, signature, notes, target, version, pubkey } = *new;
        use sha2::Digest;
        if !valid_target(target) {
            anyhow::bail!(
                "unknown target '{target}': use {{os}}-{{arch}}-{{installer}}, e.g. linux-x86_64-deb or windows-x86_64-nsis"
            );
        }
        let parsed = semver::Version::parse(version)
            .map_err(|e| anyhow::anyhow!("'{version}' is not a version like 1.2.3: {e}"))?;
        let file = package
            .file_name()
            .and_then(|n| n.to_str())
            .filter(|n| valid_file_name(n))
            .ok_or_else(|| anyhow::anyhow!("{}: use a plain file name (letters, digits, . _ - +)", package.display()))?
            .to_owned();
        let signature = signature.trim().to_owned();
        let bytes = std::fs::read(package).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", package.display()))?;
        check_signature(&signature, &bytes, pubkey)?;
        let notes = notes.trim().to_owned();
        if notes.is_empty() {
            anyhow::bail!("say what is new (--notes): users read it before they agree to update");
        }
        let mut all = self.list()?;
        if all.iter().any(|r| r.target == target && semver::Version::parse(&r.version).ok().as_ref() == Some(&parsed)) {
            anyhow::bail!("version {version} for {target} is released already");
        }
        let folder = self.dir.join(target).join(parsed.to_string());
        std::fs::create_dir_all(&folder).map_err(|e| anyhow::anyhow!("cannot create {}: {e}", folder.display()))?;
        let partial = folder.join(format!(".{file}.partial"));
        std::fs::write(&partial, &bytes)?;
        std::fs::rename(&partial, folder.join(&file))?;
        let release = Release {
            target: target.to_owned(),
            version: parsed.to_string(),
            file,
            signature,
            notes,
            pub_date: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            sha256: hex::encode(sha2::Sha256::digest(&bytes)),
            bytes: bytes.len() as u64,
        };
        all.push(release.clone());
        let tmp = self.dir.join(".index.json.partial");
        std::fs::write(&tmp, serde_json::to_vec_pretty(&all)?)?;
        std::fs::rename(&tmp, self.index_path())?;
        Ok(release)
    }

    /// The newest release for `target` above `current` (none when `current` is the newest).
    pub fn offer(&self, target: &str, current: &semver::Version) -> anyhow::Result<Option<Release>> {
        let mut best: Option<(semver::Version, Release)> = None;
        for r in self.list()? {
            let Ok(v) = semver::Version::parse(&r.version) else { continue };
            if r.target == target && v > *current && best.as_ref().is_none_or(|(b, _)| v > *b) {
                best = Some((v, r));
            }
        }
        Ok(best.map(|(_, r)| r))
    }

    /// The package file of a release, when it is one.
    pub fn file(&self, target: &str, version: &str, file: &str) -> anyhow::Result<Option<PathBuf>> {
        let known = self.list()?.into_iter().any(|r| r.target == target && r.version == version && r.file == file);
        Ok(known.then(|| self.dir.join(target).join(version).join(file)))
    }
}

/// An updater signature is the base64 of a minisign signature file; with `pubkey` (the base64
/// the app is built with) it must also verify over `bytes`.
fn check_signature(signature: &str, bytes: &[u8], pubkey: Option<&str>) -> anyhow::Result<()> {
    let text = base64::engine::general_purpose::STANDARD
        .decode(signature)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .filter(|t| t.starts_with("untrusted comment:"))
        .ok_or_else(|| anyhow::anyhow!("the signature is not an updater signature (the content of the .sig file)"))?;
    let sig =
        minisign_verify::Signature::decode(&text).map_err(|e| anyhow::anyhow!("the signature is damaged: {e}"))?;
    if let Some(pubkey) = pubkey {
        let key_text = base64::engine::general_purpose::STANDARD
            .decode(pubkey.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| anyhow::anyhow!("the public key is not an updater public key"))?;
        let key = minisign_verify::PublicKey::decode(&key_text)
            .map_err(|e| anyhow::anyhow!("the public key is damaged: {e}"))?;
        key.verify(bytes, &sig, true)
            .map_err(|e| anyhow::anyhow!("the signature does not match the package and the public key: {e}"))?;
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A TEST-ONLY updater key pair (minisign, no password), also in packaging/updater/: it signs
    /// the packages of the tests and nothing else.
    pub const TEST_PUBKEY: &str = include_str!("../../../packaging/updater/TEST-ONLY-updater.key.pub");
    /// `payload` signed with the test key (`tauri signer sign`).
    pub const TEST_PAYLOAD: &[u8] = include_bytes!("../tests/fixtures/update-payload.bin");
    pub const TEST_PAYLOAD_SIG: &str = include_str!("../tests/fixtures/update-payload.bin.sig");

    fn now() -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::parse_from_rfc3339("2026-12-06T08:00:00Z").expect("date").with_timezone(&chrono::Utc)
    }

    #[test]
    fn the_newest_release_above_the_current_version_is_offered() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = ReleaseStore::new(dir.path().join("releases"));
        let v = |s: &str| semver::Version::parse(s).expect("version");
        assert_eq!(store.offer("linux-x86_64-deb", &v("0.1.0")).expect("empty"), None);
        let pkg = dir.path().join("haochaping_0.2.0_amd64.deb");
        std::fs::write(&pkg, TEST_PAYLOAD).expect("write");
        let r = store
            .add(
                &NewRelease {
                    package: &pkg,
                    signature: TEST_PAYLOAD_SIG,
                    notes: "修复同步",
                    target: "linux-x86_64-deb",
                    version: "0.2.0",
                    pubkey: Some(TEST_PUBKEY),
                },
                now(),
            )
            .expect("add");
        assert_eq!((r.version.as_str(), r.bytes), ("0.2.0", TEST_PAYLOAD.len() as u64));
        let pkg3 = dir.path().join("haochaping_0.3.0_amd64.deb");
        std::fs::write(&pkg3, TEST_PAYLOAD).expect("write");
        store
            .add(
                &NewRelease {
                    package: &pkg3,
                    signature: TEST_PAYLOAD_SIG,
                    notes: "新增月报",
                    target: "linux-x86_64-deb",
                    version: "0.3.0",
                    pubkey: None,
                },
                now(),
            )
            .expect("add");
        assert_eq!(store.offer("linux-x86_64-deb", &v("0.1.0")).expect("offer").expect("some").version, "0.3.0");
        assert_eq!(store.offer("linux-x86_64-deb", &v("0.3.0")).expect("offer"), None);
        assert_eq!(store.offer("linux-x86_64-rpm", &v("0.1.0")).expect("offer"), None);
        let path = store.file("linux-x86_64-deb", "0.2.0", "haochaping_0.2.0_amd64.deb").expect("file").expect("known");
        assert_eq!(std::fs::read(path).expect("read"), TEST_PAYLOAD);
        assert_eq!(store.file("linux-x86_64-deb", "0.2.0", "index.json").expect("file"), None);
        assert_eq!(store.file("linux-x86_64-deb", "0.9.0", "haochaping_0.2.0_amd64.deb").expect("file"), None);
    }

    /// The updater's view over HTTP: the manifest names the package on this server, the package
    /// comes back byte for byte, the newest version gets 204, junk gets 400 and unknown files 404.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_updater_gets_the_manifest_and_the_package_over_http() {
        let dir = tempfile::tempdir().expect("tempdir");
        let releases = dir.path().join("releases");
        let pkg = dir.path().join("haochaping_0.2.0_amd64.deb");
        std::fs::write(&pkg, TEST_PAYLOAD).expect("write");
        ReleaseStore::new(&releases)
            .add(
                &NewRelease {
                    package: &pkg,
                    signature: TEST_PAYLOAD_SIG,
                    notes: "修复同步\n新增月报",
                    target: "linux-x86_64-deb",
                    version: "0.2.0",
                    pubkey: Some(TEST_PUBKEY),
                },
                now(),
            )
            .expect("add");
        let db = crate::Db::connect(&format!("sqlite://{}", dir.path().join("s.db").display())).expect("db");
        let mut state = crate::AppState::new(db);
        state.config = std::sync::Arc::new(crate::Config { releases_dir: releases, ..crate::Config::default() });
        let server = crate::spawn(state, "127.0.0.1:0").await.expect("spawn");
        let http = reqwest::Client::new();
        let get = |path: String| http.get(format!("{}{path}", server.url())).send();

        let r = get("/api/v1/updates/linux-x86_64-deb/0.1.0".into()).await.expect("manifest");
        assert_eq!(r.status(), 200);
        let m: crate::routes::updates::UpdateManifest = r.json().await.expect("json");
        assert_eq!((m.version.as_str(), m.notes.as_str()), ("0.2.0", "修复同步\n新增月报"));
        assert_eq!(m.signature, TEST_PAYLOAD_SIG.trim());
        assert_eq!(
            m.url,
            format!("{}/api/v1/updates/files/linux-x86_64-deb/0.2.0/haochaping_0.2.0_amd64.deb", server.url())
        );
        let bytes = http.get(&m.url).send().await.expect("package").bytes().await.expect("bytes");
        assert_eq!(&bytes[..], TEST_PAYLOAD);

        for (path, status) in [
            ("/api/v1/updates/linux-x86_64-deb/0.2.0", 204),
            ("/api/v1/updates/linux-x86_64-rpm/0.1.0", 204),
            ("/api/v1/updates/linux-x86_64-deb/not-a-version", 400),
            ("/api/v1/updates/plan9-x86_64-deb/0.1.0", 400),
            ("/api/v1/updates/files/linux-x86_64-deb/0.2.0/index.json", 404),
            ("/api/v1/updates/files/linux-x86_64-deb/0.2.0/..%2Findex.json", 404),
        ] {
            assert_eq!(get(path.into()).await.expect("request").status(), status, "{path}");
        }
        server.stop().await;
    }

    #[test]
    fn bad_releases_are_refused_and_nothing_is_added() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = ReleaseStore::new(dir.path().join("releases"));
        let pkg = dir.path().join("haochaping_0.2.0_amd64.deb");
        std::fs::write(&pkg, TEST_PAYLOAD).expect("write");
        let add = |sig: &str, target: &str, version: &str, notes: &str, key: Option<&str>| {
            store
                .add(&NewRelease { package: &pkg, signature: sig, notes, target, version, pubkey: key }, now())
                .expect_err("refused")
                .to_string()
        };
        assert!(add(TEST_PAYLOAD_SIG, "linux-x86_64", "0.2.0", "n", None).contains("unknown target"));
        assert!(add(TEST_PAYLOAD_SIG, "linux-x86_64-deb", "0.2", "n", None).contains("not a version"));
        assert!(
            add("bm90IGEgc2lnbmF0dXJl", "linux-x86_64-deb", "0.2.0", "n", None).contains("not an updater signature")
        );
        assert!(add(TEST_PAYLOAD_SIG, "linux-x86_64-deb", "0.2.0", "  ", None).contains("--notes"));
        // A tampered package does not verify against the key.
        let tampered = dir.path().join("haochaping_0.2.1_amd64.deb");
        let mut bytes = TEST_PAYLOAD.to_vec();
        bytes[0] ^= 1;
        std::fs::write(&tampered, bytes).expect("write");
        let err = store
            .add(
                &NewRelease {
                    package: &tampered,
                    signature: TEST_PAYLOAD_SIG,
                    notes: "n",
                    target: "linux-x86_64-deb",
                    version: "0.2.1",
                    pubkey: Some(TEST_PUBKEY),
                },
                now(),
            )
            .expect_err("tampered");
        assert!(err.to_string().contains("does not match"), "{err}");
        assert!(store.list().expect("list").is_empty());
        store
            .add(
                &NewRelease {
                    package: &pkg,
                    signature: TEST_PAYLOAD_SIG,
                    notes: "n",
                    target: "linux-x86_64-deb",
                    version: "0.2.0",
                    pubkey: Some(TEST_PUBKEY),
                },
                now(),
            )
            .expect("add");
        assert!(add(TEST_PAYLOAD_SIG, "linux-x86_64-deb", "0.2.0", "n", None).contains("released already"));
        assert!(valid_target("windows-x86_64-nsis") && !valid_target("linux-x86_64-deb/../x"));
        assert!(!valid_file_name("../x.deb") && !valid_file_name(".hidden") && valid_file_name("a_0.2.0+1_amd64.deb"));
    }
}
