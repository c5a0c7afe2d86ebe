//! The calendar's data for a range of days in the business's zone: the
//! appointments (cancelled ones too, drawn struck through), and the
//! providers, resources and services to draw and book with.

use chrono::{Duration, NaiveDate, NaiveTime};
use chrono_tz::Tz;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{appointments::load_many, catalog, work::Read, Deps};
use crate::{
    audit::Actor,
    auth::Principal,
    cache::Namespace,
    domain::{
        roles::{Action, Permission, RecordKind},
        scheduling::instant,
        time_format::{Clock, TimeFormat},
        views::{CalendarView, ProviderView},
    },
    error::AppError,
};

/// The most days one view covers (a month view shows six weeks).
pub const MAX_DAYS: i64 = 42;
/// The most appointments one view draws.
pub const MAX_APPOINTMENTS: i64 = 5000;

#[derive(Debug, Clone, Copy)]
pub struct Range {
    pub from: NaiveDate,
    pub days: i64,
    pub provider_id: Option<Uuid>,
    pub resource_id: Option<Uuid>,
    /// One provider's appointments only (a week): `provider_id`, or when
    /// none is named the reader's own provider, else the first one.
    pub one_provider: bool,
}

/// The provider a one-provider view shows: the one named (when it exists),
/// else the reader's own, else the first.
fn provider_shown(
    providers: &[ProviderView],
    named: Option<Uuid>,
    me: Option<Uuid>,
) -> Option<Uuid> {
    let find =
        |test: &dyn Fn(&ProviderView) -> bool| providers.iter().find(|p| test(p)).map(|p| p.id);
    named
        .and_then(|id| find(&|p| p.id == id))
        .or_else(|| me.and_then(|me| find(&|p| p.user_id == Some(me))))
        .or_else(|| providers.first().map(|p| p.id))
}

/// The business's clock: its time zone and the way it writes times.
pub(crate) async fn tenant_clock(conn: &mut PgConnection, tenant: Uuid) -> Result<Clock, AppError> {
    let row = sqlx::query!(
        r#"SELECT time_zone, time_format AS "time_format: TimeFormat" FROM tenants WHERE id = $1"#,
        tenant
    )
    .fetch_one(&mut *conn)
    .await?;
    let zone = row
        .time_zone
        .parse()
        .map_err(|_| AppError::internal("the business's stored time zone does not parse"))?;
    Ok(Clock::new(zone, row.time_format))
}

/// The business's time zone.
pub(super) async fn tenant_zone(conn: &mut PgConnection, tenant: Uuid) -> Result<Tz, AppError> {
    Ok(tenant_clock(conn, tenant).await?.zone)
}

/// Reading the calendar is reading appointments.
const APPOINTMENTS: Permission = Permission::Record(RecordKind::Appointment, Action::Read);

/// The business's time zone, cached (it changes only with its settings).
pub(super) async fn cached_zone(deps: &Deps, who: &impl Principal) -> Result<Tz, AppError> {
    let name: String = deps
        .read_cached(
            who,
            APPOINTMENTS,
            Namespace::Tenant,
            "zone",
            |mut tx| async move {
                let tenant = tx.tenant();
                let zone = tenant_zone(tx.conn(), tenant).await?;
                tx.commit().await?;
                Ok(zone.name().to_string())
            },
        )
        .await?;
    name.parse()
        .map_err(|_| AppError::internal("the business's stored time zone does not parse"))
}

pub async fn range(
    deps: &Deps,
    who: &impl Principal,
    range: Range,
) -> Result<CalendarView, AppError> {
    who.require(Permission::Record(RecordKind::Appointment, Action::Read))?;
    catalog::require_read(who)?;
    if !(1..=MAX_DAYS).contains(&range.days) {
        return Err(AppError::field(
            "days",
            format!("show 1 to {MAX_DAYS} days at a time"),
        ));
    }
    // Which provider a one-provider view shows depends on who reads it.
    let me = match who.actor() {
        Actor::User(id) if range.one_provider => Some(id),
        _ => None,
    };
    let params = format!(
        "range:{}:{}:{}:{}:{}",
        match (range.one_provider, me) {
            (false, _) => String::new(),
            (true, None) => "one".to_string(),
            (true, Some(me)) => format!("one-{}", me.simple()),
        },
        range.from,
        range.days,
        range
            .provider_id
            .map(|id| id.simple().to_string())
            .unwrap_or_default(),
        range
            .resource_id
            .map(|id| id.simple().to_string())
            .unwrap_or_default(),
    );
    deps.read_cached(who, APPOINTMENTS, Namespace::Appointments, &params, |tx| {
        read_range(tx, range, me, deps.clock.now())
    })
    .await
}

async fn read_range(
    mut tx: Read,
    mut range: Range,
    me: Option<Uuid>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<CalendarView, AppError> {
    let tenant = tx.tenant();
    let clock = tenant_clock(tx.conn(), tenant).await?;
    let zone = clock.zone;
    let step_minutes = super::tenants::step_of(tx.conn(), tenant).await?;
    let start = instant(zone, range.from.and_time(NaiveTime::MIN));
    let end = instant(
        zone,
        (range.from + Duration::days(range.days)).and_time(NaiveTime::MIN),
    );
    let (services, providers, resources) = catalog::load_all(tx.conn(), tenant, now).await?;
    let shown_provider = range
        .one_provider
        .then(|| provider_shown(&providers, range.provider_id, me))
        .flatten();
    if range.one_provider {
        range.provider_id = shown_provider;
    }
    // A one-provider view of a business without providers shows nothing.
    let nothing = range.one_provider && shown_provider.is_none();
    let ids: Vec<Uuid> = if nothing {
        Vec::new()
    } else {
        sqlx::query_scalar!("SELECT a.id FROM appointments a WHERE a.tenant_id = $1 AND a.starts_at >= $2 AND a.starts_at < $3 \
           AND ($4::uuid IS NULL OR a.provider_id = $4) \
           AND ($5::uuid IS NULL OR EXISTS (SELECT 1 FROM appointment_resources r \
                WHERE r.appointment_id = a.id AND r.resource_id = $5)) \
         ORDER BY a.starts_at, a.id LIMIT $6", tenant, start as _, end as _, range.provider_id, range.resource_id, MAX_APPOINTMENTS)
    .fetch_all(tx.conn())
    .await?
    };
    let appointments = load_many(tx.conn(), tenant, &ids).await?;
    tx.commit().await?;
    Ok(CalendarView {
        time_zone: zone.name().to_string(),
        time_format: clock.format,
        step_minutes,
        providers,
        resources,
        services,
        appointments,
        shown_provider,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider(name: &str, user_id: Option<Uuid>) -> ProviderView {
        ProviderView {
            id: Uuid::new_v4(),
            name: name.into(),
            time_zone: "Europe/Berlin".into(),
            colour: "#2563eb".into(),
            user_id,
            hours: Vec::new(),
            time_off: Vec::new(),
        }
    }

    #[test]
    fn a_one_provider_view_shows_the_named_then_the_readers_own_then_the_first() {
        let me = Uuid::new_v4();
        let providers = [provider("Ana", None), provider("Ben", Some(me))];
        let (ana, ben) = (providers[0].id, providers[1].id);
        assert_eq!(provider_shown(&providers, Some(ana), Some(me)), Some(ana));
        assert_eq!(provider_shown(&providers, None, Some(me)), Some(ben));
        assert_eq!(
            provider_shown(&providers, None, Some(Uuid::new_v4())),
            Some(ana)
        );
        assert_eq!(
            provider_shown(&providers, Some(Uuid::new_v4()), None),
            Some(ana),
            "a provider that is gone falls back"
        );
        assert_eq!(provider_shown(&[], None, Some(me)), None);
    }
}
