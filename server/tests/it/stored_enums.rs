//! Roles and statuses are stored as words: the database's checks accept
//! exactly the words the types write, and each word reads back as its value.

use crate::support::TestDb;

use frontdesk::domain::{
    background::ReminderStatus,
    inbox::{Direction, MailboxState, SendState, TlsMode},
    records::AppointmentStatus,
    roles::Role,
    time_format::TimeFormat,
};
use sqlx::{Connection, PgConnection};

/// The words a column's CHECK constraint allows, in the order it lists them.
async fn allowed(conn: &mut PgConnection, table: &str, column: &str) -> Vec<String> {
    let definition: String = sqlx::query_scalar(
        "SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c \
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey) \
         WHERE c.conrelid = $1::regclass AND c.contype = 'c' AND a.attname = $2 \
           AND pg_get_constraintdef(c.oid) LIKE '%ANY%'",
    )
    .bind(table)
    .bind(column)
    .fetch_one(&mut *conn)
    .await
    .unwrap_or_else(|e| panic!("{table}.{column} has a list check: {e}"));
    definition
        .split('\'')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// Writes `value` through sqlx and reads the word back, then reads the word
/// back as a value.
async fn round_trip<T>(conn: &mut PgConnection, value: T) -> (String, T)
where
    T: for<'r> sqlx::Decode<'r, sqlx::Postgres>
        + sqlx::Encode<'static, sqlx::Postgres>
        + sqlx::Type<sqlx::Postgres>
        + Send
        + Unpin
        + 'static,
{
    let word: String = sqlx::query_scalar("SELECT $1::text")
        .bind(value)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    let back: T = sqlx::query_scalar("SELECT $1::text")
        .bind(word.clone())
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    (word, back)
}

#[tokio::test]
async fn roles_and_statuses_are_stored_as_the_words_the_schema_allows() {
    let db = TestDb::create().await;
    let mut conn = PgConnection::connect(&db.url).await.unwrap();

    let roles: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
    assert_eq!(allowed(&mut conn, "memberships", "role").await, roles);
    assert_eq!(allowed(&mut conn, "invitations", "role").await, roles);
    for role in Role::ALL {
        assert_eq!(
            round_trip(&mut conn, role).await,
            (role.as_str().into(), role)
        );
    }

    let statuses: Vec<&str> = AppointmentStatus::ALL.iter().map(|s| s.as_str()).collect();
    assert_eq!(allowed(&mut conn, "appointments", "status").await, statuses);
    for status in AppointmentStatus::ALL {
        assert_eq!(
            round_trip(&mut conn, status).await,
            (status.as_str().into(), status)
        );
    }

    let reminders: Vec<&str> = ReminderStatus::ALL.iter().map(|s| s.as_str()).collect();
    assert_eq!(
        allowed(&mut conn, "appointment_reminders", "status").await,
        reminders
    );
    for status in ReminderStatus::ALL {
        assert_eq!(
            round_trip(&mut conn, status).await,
            (status.as_str().into(), status)
        );
    }

    let formats: Vec<&str> = TimeFormat::ALL.iter().map(|f| f.as_str()).collect();
    assert_eq!(allowed(&mut conn, "tenants", "time_format").await, formats);
    for format in TimeFormat::ALL {
        assert_eq!(
            round_trip(&mut conn, format).await,
            (format.as_str().into(), format)
        );
    }

    // The inbox's words.
    macro_rules! words {
        ($ty:ty, $table:literal, $column:literal) => {{
            let words: Vec<&str> = <$ty>::ALL.iter().map(|w| w.as_str()).collect();
            assert_eq!(
                allowed(&mut conn, $table, $column).await,
                words,
                "{}.{}",
                $table,
                $column
            );
            for value in <$ty>::ALL {
                assert_eq!(
                    round_trip(&mut conn, value).await,
                    (value.as_str().into(), value)
                );
            }
        }};
    }
    words!(TlsMode, "mailboxes", "imap_tls");
    words!(MailboxState, "mailboxes", "state");
    words!(Direction, "mail_messages", "direction");
    words!(SendState, "mail_messages", "send_state");

    // A word the type does not know is an error, not a silent default.
    let unknown: Result<Role, _> = sqlx::query_scalar("SELECT 'janitor'::text")
        .fetch_one(&mut conn)
        .await;
    assert!(unknown.is_err(), "an unknown role must not decode");
}
