//! The photos of a case for a printed appendix (附图): its JPEG and PNG evidence files, read from
//! this computer's encrypted store or downloaded when online, decoded and scaled for print.

use hcp_report::attachments::{AppendixImage, AttachmentLine};

use crate::error::ApiResult;
use crate::App;

/// A case's evidence files for a printed record: the 附件 list (the files on the server and
/// this computer's files on their way), and the photos for an appendix with how many of them
/// could not be had now.
#[derive(Debug, Clone, Default)]
pub struct Photos {
    pub files: Vec<AttachmentLine>,
    pub images: Vec<AppendixImage>,
    pub missing: u32,
}

/// Whether a file of this type prints in the appendix.
pub fn is_photo(mime: &str) -> bool {
    matches!(mime, "image/jpeg" | "image/png")
}

impl App {
    /// The case's files and, `with_photos`, its photos, oldest first. A photo whose bytes are
    /// neither here nor downloadable now (offline), or that cannot be decoded, is counted as
    /// missing, never fatal.
    pub async fn case_photos(&self, case_id: i64, with_photos: bool) -> ApiResult<Photos> {
        let files = self.case_files(case_id).await?;
        let kept: Vec<_> = files.files.into_iter().filter(|f| f.state != "refused").collect();
        let mut out = Photos {
            files: kept
                .iter()
                .map(|f| AttachmentLine { name: f.name.clone(), sha256: f.sha256.clone(), size: f.size })
                .collect(),
            ..Photos::default()
        };
        for f in kept.into_iter().filter(|f| with_photos && is_photo(&f.mime)) {
            let caption = AttachmentLine { name: f.name.clone(), sha256: f.sha256.clone(), size: f.size }.label();
            let decoded = match self.case_file_bytes(case_id, f.sha256.clone()).await {
                Ok(bytes) => tokio::task::spawn_blocking(move || AppendixImage::decode(caption, &bytes)).await.ok(),
                Err(e) => {
                    tracing::info!(code = %e.code, "a photo for the appendix is not available");
                    None
                }
            };
            match decoded {
                Some(Ok(img)) => out.images.push(img),
                Some(Err(e)) => {
                    tracing::warn!(error = %e, "a photo for the appendix cannot be decoded");
                    out.missing += 1;
                }
                None => out.missing += 1,
            }
        }
        Ok(out)
    }
}
