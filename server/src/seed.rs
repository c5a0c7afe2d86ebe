//! `frontdesk seed`: a demo business with a realistic month (`--demo`), and
//! the large fixed data set the benchmarks use (`--scale`: 100,000
//! appointments and 20,000 clients in one business).

use chrono::{Datelike, Duration, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use frontdesk::secrecy::ExposeSecret;
use frontdesk::{
    audit::Origin,
    auth::Staff,
    domain::{roles::Role, scheduling::WorkingSpan},
    error::AppError,
    services::{
        accounts::{self, SignUp},
        appointments::{self, Booking},
        catalog::{self, ProviderInput, ServiceInput},
        clients::{self, ClientInput},
        Deps,
    },
    tools::sample_data,
};
use uuid::Uuid;

type Outcome = Result<(), Box<dyn std::error::Error>>;

pub const DEMO_SLUG: &str = "demo";
pub const DEMO_EMAIL: &str = "owner@demo.frontdesk.test";
pub const SCALE_SLUG: &str = "scale";
pub const SCALE_EMAIL: &str = "owner@scale.frontdesk.test";
const ZONE: &str = "Europe/Berlin";

const FIRST: [&str; 30] = [
    "Anna", "Ben", "Clara", "David", "Ella", "Felix", "Greta", "Hannes", "Ida", "Jonas", "Kira",
    "Lukas", "Mia", "Noah", "Olivia", "Paul", "Quinn", "Rosa", "Samir", "Tara", "Umut", "Vera",
    "Wim", "Xenia", "Yusuf", "Zoe", "Amir", "Bea", "Chen", "Dana",
];
const LAST: [&str; 30] = [
    "Schmidt", "Novak", "Okafor", "Rossi", "Kowalski", "Nguyen", "García", "Müller", "Dubois",
    "Smith", "Jensen", "Kaya", "Silva", "Ivanova", "Brown", "Fischer", "Yamamoto", "Costa",
    "Weber", "Haddad", "Larsen", "Meyer", "Popescu", "Khan", "Wagner", "Becker", "Horvat", "Lopez",
    "Schulz", "Moreau",
];

/// A small deterministic generator: the same data set every run.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn person(n: usize) -> (String, String) {
    let (first, last) = (FIRST[n % 30], LAST[(n / 30) % 30]);
    let name = format!("{first} {last}");
    let email = format!(
        "{}.{}{}@example.com",
        first.to_lowercase(),
        last.to_lowercase().replace(['ü', 'í', 'ç'], "u"),
        n
    );
    (name, email)
}

fn weekdays(days: &[Weekday], spans: &[(u32, u32, u32, u32)]) -> Vec<WorkingSpan> {
    days.iter()
        .flat_map(|&weekday| {
            spans.iter().map(move |&(h1, m1, h2, m2)| WorkingSpan {
                weekday,
                starts: NaiveTime::from_hms_opt(h1, m1, 0).unwrap_or(NaiveTime::MIN),
                ends: NaiveTime::from_hms_opt(h2, m2, 0).unwrap_or(NaiveTime::MIN),
            })
        })
        .collect()
}

/// Creates a business and its owner, unless one with `slug` exists; returns the owner.
async fn business(
    deps: &Deps,
    name: &str,
    slug: &str,
    email: &str,
    password: &str,
) -> Result<Option<Staff>, AppError> {
    let exists = sample_data::slug_taken(&deps.pool, slug).await?;
    if exists {
        return Ok(None);
    }
    let session = accounts::sign_up(
        deps,
        SignUp {
            business_name: name.into(),
            slug: slug.into(),
            time_zone: ZONE.into(),
            time_format: Default::default(),
            name: "Owner".into(),
            email: email.into(),
            password: password.into(),
        },
        &Origin::default(),
    )
    .await?;
    Ok(Some(Staff {
        user_id: session.user_id,
        tenant_id: session.tenant_id,
        role: Role::Owner,
    }))
}

fn new_password() -> String {
    format!("demo-{}", &Uuid::new_v4().simple().to_string()[..12])
}

/// The demo business: 8 providers, 5 rooms, 6 services, 300 clients and
/// 1,500 appointments from two weeks ago to two weeks ahead.
pub async fn demo(deps: &Deps) -> Outcome {
    let password = new_password();
    let Some(owner) = business(
        deps,
        "Demo Wellness Studio",
        DEMO_SLUG,
        DEMO_EMAIL,
        &password,
    )
    .await?
    else {
        println!("The demo business exists already: sign in as {DEMO_EMAIL} (use \"Forgot password\" if the password is lost).");
        return Ok(());
    };
    let origin = Origin::default();
    let zone: Tz = ZONE.parse().map_err(|_| "zone")?;
    let mut rooms = Vec::new();
    for name in ["Room 1", "Room 2", "Room 3", "Room 4", "Room 5"] {
        rooms.push(
            catalog::create_resource(deps, &owner, name, "room", &origin)
                .await?
                .id,
        );
    }
    let week = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
    ];
    let mut providers = Vec::new();
    for (i, name) in [
        "Dr. Alma Reyes",
        "Jonas Berg",
        "Mira Patel",
        "Theo Laurent",
        "Sofia Lind",
        "Kai Ostrowski",
        "Lea Hoffmann",
        "Omar Said",
    ]
    .iter()
    .enumerate()
    {
        let mut days = week.to_vec();
        if i % 2 == 0 {
            days.push(Weekday::Sat);
        }
        let provider = catalog::create_provider(
            deps,
            &owner,
            &ProviderInput {
                name: (*name).into(),
                time_zone: ZONE.into(),
                colour: [
                    "#2f855a", "#2b6cb0", "#b7791f", "#9b2c2c", "#6b46c1", "#2c7a7b", "#c05621",
                    "#2d3748",
                ][i]
                    .into(),
                user_id: None,
                hours: weekdays(&days, &[(8, 0, 12, 30), (13, 30, 19, 0)]),
            },
            &origin,
        )
        .await?;
        providers.push(provider.id);
    }
    let mut services = Vec::new();
    for (name, minutes, price, room, colour) in [
        ("Consultation", 30, 4500, false, "#4a7bd0"),
        ("Massage 60", 60, 8000, true, "#38a169"),
        ("Physiotherapy", 45, 6500, true, "#d69e2e"),
        ("Follow-up", 20, 3000, false, "#805ad5"),
        ("Acupuncture", 45, 7000, true, "#e53e3e"),
        ("Nutrition advice", 30, 5000, false, "#319795"),
    ] {
        let service = catalog::create_service(
            deps,
            &owner,
            &ServiceInput {
                name: name.into(),
                duration_minutes: minutes,
                price_minor: price,
                currency: "EUR".into(),
                buffer_after_minutes: if room { 10 } else { 5 },
                colour: colour.into(),
                resource_kinds: if room { vec!["room".into()] } else { vec![] },
                ..Default::default()
            },
            &origin,
        )
        .await?;
        services.push((service.id, minutes + if room { 10 } else { 5 }, room));
    }
    let mut clients_made = Vec::new();
    let mut dice = Dice(42);
    for n in 0..300 {
        let (name, email) = person(n);
        let client = clients::create(
            deps,
            &owner,
            &ClientInput {
                name,
                email,
                phone: format!("+49 30 {:07}", 1_000_000 + n * 7919 % 8_999_999),
                email_reminders: dice.below(10) < 8,
                ..Default::default()
            },
            &origin,
        )
        .await?;
        clients_made.push(client.client.id);
    }
    let today = Utc::now().with_timezone(&zone).date_naive();
    let mut booked = 0usize;
    let mut day = today - Duration::days(15);
    'days: while day <= today + Duration::days(30) {
        if day.weekday() == Weekday::Sun {
            day += Duration::days(1);
            continue;
        }
        for (p, &provider) in providers.iter().enumerate() {
            if day.weekday() == Weekday::Sat && p % 2 == 1 {
                continue;
            }
            let mut minute = 8 * 60 + (dice.below(3) * 15) as u32;
            while minute < 18 * 60 + 30 {
                let (service, length, room) = services[dice.below(services.len() as u64) as usize];
                if minute < 12 * 60 + 30 && minute + length as u32 > 12 * 60 + 30 {
                    minute = 13 * 60 + 30;
                    continue;
                }
                let local = day.and_time(
                    NaiveTime::from_hms_opt(minute / 60, minute % 60, 0).unwrap_or(NaiveTime::MIN),
                );
                let resource_ids = if room {
                    vec![rooms[(p + booked) % rooms.len()]]
                } else {
                    vec![]
                };
                let outcome = appointments::book(
                    deps,
                    &owner,
                    &Booking {
                        client_id: clients_made[dice.below(300) as usize],
                        service_id: service,
                        provider_id: provider,
                        resource_ids,
                        starts_at: Some(frontdesk::domain::scheduling::instant(zone, local)),
                        ..Default::default()
                    },
                    &origin,
                )
                .await;
                match outcome {
                    Ok(_) => booked += 1,
                    // A busy room or the end of the day: try the next slot.
                    Err(AppError::Conflict(_) | AppError::Invalid(_)) => {}
                    Err(other) => return Err(other.into()),
                }
                if booked >= 1500 {
                    break 'days;
                }
                minute += length as u32 + (dice.below(2) * 15) as u32;
            }
        }
        day += Duration::days(1);
    }
    sample_data::settle_appointments(deps, owner.tenant_id).await?;
    sample_data::drop_confirmations(deps, owner.tenant_id).await?;
    println!("Demo business created: {booked} appointments, 300 clients.");
    println!("Sign in at /signin as {DEMO_EMAIL} with password {password}");
    Ok(())
}

pub const SCALE_PROVIDERS: usize = 25;
pub const SCALE_CLIENTS: usize = 20_000;
pub const SCALE_APPOINTMENTS: i64 = 100_000;

/// The benchmark data set, in bulk: 25 providers with 8 one-hour
/// appointments every day for 500 days (400 behind today, 100 ahead),
/// 20,000 clients (ids from gen_random_uuid: bulk rows need no time order).
/// Returns the owner and its password when newly made.
pub async fn scale(deps: &Deps) -> Result<(Staff, Option<String>), Box<dyn std::error::Error>> {
    let password = new_password();
    let (owner, password) =
        match business(deps, "Scale Clinic", SCALE_SLUG, SCALE_EMAIL, &password).await? {
            Some(owner) => (owner, Some(password)),
            None => (
                sample_data::owner_of(&deps.pool, SCALE_SLUG, SCALE_EMAIL)
                    .await?
                    .ok_or("the scale business exists without its owner")?,
                None,
            ),
        };
    // The bulk part is one unit: a business without it is filled now.
    let filled = sample_data::has_appointments(deps, owner.tenant_id).await?;
    if filled {
        return Ok((owner, password));
    }
    let origin = Origin::default();
    // A run that stopped half-way left some of these: reuse them.
    let services = catalog::list_services(deps, &owner).await?;
    let mut providers: Vec<Uuid> = catalog::list_providers(deps, &owner)
        .await?
        .into_iter()
        .map(|p| p.id)
        .take(SCALE_PROVIDERS)
        .collect();
    let service = match services.into_iter().next() {
        Some(service) => service,
        None => {
            catalog::create_service(
                deps,
                &owner,
                &ServiceInput {
                    name: "Session".into(),
                    duration_minutes: 60,
                    price_minor: 5000,
                    currency: "EUR".into(),
                    ..Default::default()
                },
                &origin,
            )
            .await?
        }
    };
    for n in providers.len()..SCALE_PROVIDERS {
        let provider = catalog::create_provider(
            deps,
            &owner,
            &ProviderInput {
                name: format!("Provider {:02}", n + 1),
                time_zone: ZONE.into(),
                hours: weekdays(
                    &[
                        Weekday::Mon,
                        Weekday::Tue,
                        Weekday::Wed,
                        Weekday::Thu,
                        Weekday::Fri,
                        Weekday::Sat,
                        Weekday::Sun,
                    ],
                    &[(8, 0, 17, 0)],
                ),
                ..Default::default()
            },
            &origin,
        )
        .await?;
        providers.push(provider.id);
    }
    let zone: Tz = ZONE.parse().map_err(|_| "zone")?;
    let today = Utc::now().with_timezone(&zone).date_naive();
    sample_data::fill(
        deps,
        owner.tenant_id,
        sample_data::Bulk {
            clients: SCALE_CLIENTS as i64,
            first_names: &FIRST,
            last_names: &LAST,
            providers: &providers,
            service: service.id,
            first_day: today - Duration::days(400),
            days: SCALE_APPOINTMENTS / (SCALE_PROVIDERS as i64 * 8),
            zone: ZONE,
        },
    )
    .await?;
    sample_data::analyze(&deps.pool).await?;
    Ok((owner, password))
}

/// `frontdesk seed`: what the flags ask for.
/// How long one statement of the large data set may take (the appointments
/// insert takes tens of seconds on a small machine).
pub const SEED_STATEMENT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(900);

pub async fn run(mut config: frontdesk::config::Config, args: crate::cli::SeedArgs) -> Outcome {
    // Building the large set runs statements far longer than a request's.
    config.database.statement_timeout = config
        .database
        .statement_timeout
        .max(SEED_STATEMENT_TIMEOUT);
    frontdesk::db::ensure_database(config.database.url.expose_secret()).await?;
    let pool = frontdesk::db::pool(&config.database)?;
    frontdesk::db::migrate(&pool).await?;
    let deps = crate::AppState::new(config, pool)?.deps;
    if !args.demo && !args.scale {
        return Err("say what to create: --demo, --scale, or both".into());
    }
    if args.demo {
        demo(&deps).await?;
    }
    if args.scale {
        let started = std::time::Instant::now();
        match scale(&deps).await? {
            (_, Some(password)) => println!(
                "Scale business created in {:.0} s: sign in as {SCALE_EMAIL} with password {password}",
                started.elapsed().as_secs_f64()
            ),
            (_, None) => println!(
                "The scale business is ready ({SCALE_EMAIL}; the password is the one printed when it was created)."
            ),
        }
    }
    Ok(())
}
