//! Read and unread, as staff set them here, go back to the mail server as
//! `\Seen`, so a mail program on the same mailbox agrees. An `inbox.seen`
//! job does it after the change commits, retried while the server is away.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::sync;
use crate::{
    error::AppError,
    imap::{self, ImapError},
    jobs::{Job, JobContext, JobError, NewJob},
    services::Deps,
};

/// Sets or clears `\Seen` on messages of one mailbox, by folder and UID.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushSeen {
    pub mailbox: Uuid,
    pub seen: bool,
    pub places: Vec<(String, u32)>,
}

impl PushSeen {
    /// The job for `places`, none when there is nothing on the server.
    pub fn job(
        tenant: Uuid,
        mailbox: Uuid,
        seen: bool,
        places: Vec<(String, u32)>,
    ) -> Option<NewJob<PushSeen>> {
        (!places.is_empty()).then(|| {
            NewJob::new(PushSeen {
                mailbox,
                seen,
                places,
            })
            .for_business(tenant)
        })
    }
}

fn retry(e: ImapError) -> JobError {
    if e.needs_new_settings() {
        // The mailbox shows "sign-in refused"; the next sync brings the flags in line.
        JobError::Permanent(e.to_string())
    } else {
        JobError::Retry(e.to_string())
    }
}

impl Job for PushSeen {
    const KIND: &'static str = "inbox.seen";
    const PRIORITY: i16 = 30;
    type Context = Deps;

    async fn run(self, ctx: JobContext<Deps>) -> Result<(), JobError> {
        let deps = &ctx.deps;
        let tenant = ctx
            .job
            .tenant_id
            .ok_or_else(|| JobError::Permanent("a seen flag names no business".into()))?;
        match sync::imap_settings(deps, tenant, self.mailbox).await {
            // The mailbox was removed since: nothing to tell.
            Err(AppError::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
            Ok(settings) => {
                let mut session = imap::connect(&settings).await.map_err(retry)?;
                let mut by_folder: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
                for (folder, uid) in &self.places {
                    by_folder.entry(folder).or_default().push(*uid);
                }
                for (folder, uids) in by_folder {
                    session.select(folder).await.map_err(retry)?;
                    for uid in uids {
                        session.set_seen(uid, self.seen).await.map_err(retry)?;
                    }
                }
                session.logout().await;
            }
        }
        let mut work = deps.in_business(tenant, "mail seen").await?;
        ctx.complete_in(work.conn()).await?;
        work.commit().await?;
        Ok(())
    }
}
