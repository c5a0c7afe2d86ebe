//! What the command-line tools (seed, benchmarks, storage migration) read and
//! write in the database, so that the `server` crate holds no SQL. Changes to
//! a business's data run in a unit of work with an audit entry, like a
//! service's.

pub mod bench;
pub mod sample_data;
pub mod storage;

use crate::{db::Pool, error::AppError};

/// How many businesses exist (start-up suggests a demo when there are none).
pub async fn business_count(pool: &Pool) -> Result<i64, AppError> {
    Ok(
        sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM tenants"#)
            .fetch_one(pool)
            .await?,
    )
}
