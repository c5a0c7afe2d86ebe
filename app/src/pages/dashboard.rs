//! The dashboard: the first screen staff see in the morning. Today per
//! provider first (who is next, late, here), then how last week went,
//! appointments per day for the week behind and ahead, new clients and the
//! busiest providers.

use frontdesk::domain::{live::Topic, time_format::TimeFormat, views::DashboardView};
use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    components::time::clock_of,
    fns::scheduling::{load_dashboard, SetStatus},
    layout::use_me,
    live::use_live,
    pages::today::TodayBoard,
};

#[component]
pub fn DashboardPage() -> impl IntoView {
    let set_status = ServerAction::<SetStatus>::new();
    let live = use_live();
    let dashboard = Resource::new(
        move || {
            (
                set_status.version().get(),
                live.versions(&[Topic::Appointments, Topic::Clients, Topic::Catalog]),
            )
        },
        |_| load_dashboard(),
    );
    view! {
        <Title text="Dashboard" />
        <h1>"Dashboard"</h1>
        <section class="cards" aria-label="Today at a glance">
            <article class="card">
                <h2>"Now"</h2>
                <LocalClock />
            </article>
        </section>
        // A Transition: live changes redraw the figures in place.
        <Transition fallback=|| view! { <p>"Loading the dashboard…"</p> }>
            {move || Suspend::new(async move {
                match dashboard.await {
                    Err(e) => view! { <p class="form-error" role="alert">{e.message}</p> }.into_any(),
                    Ok(d) => view! { <Overview d set_status /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Overview(d: DashboardView, set_status: ServerAction<SetStatus>) -> AnyView {
    let clock = clock_of(&d.time_zone, d.time_format);
    let rate = |part: i64| format!("{}%", d.rate(part));
    view! {
        {move || set_status.value().get().and_then(|r| r.err()).map(|e| view! {
            <p class="form-error" role="alert">{e.message}</p>
        })}
        <TodayBoard d=d.clone() clock set_status />
        <section class="cards" aria-label="Last 7 days">
            <article class="card"><h2>"Last 7 days"</h2>
                <p class="figure" data-testid="past-total">{d.past_total}</p><p class="muted">"appointments"</p></article>
            <article class="card"><h2>"Completed"</h2>
                <p class="figure" data-testid="completed">{d.past_completed}</p><p class="muted">{rate(d.past_completed)}</p></article>
            <article class="card"><h2>"Cancelled"</h2>
                <p class="figure" data-testid="cancelled">{d.past_cancelled}</p><p class="muted">{rate(d.past_cancelled)}</p></article>
            <article class="card"><h2>"No-shows"</h2>
                <p class="figure" data-testid="no-shows">{d.past_no_show}</p><p class="muted">{rate(d.past_no_show)}</p></article>
            <article class="card"><h2>"New clients"</h2>
                <p class="figure" data-testid="new-clients">{d.new_clients}</p><p class="muted">"in the last 7 days"</p></article>
        </section>
        <h2>"Appointments per day"</h2>
        <Chart d=d.clone() />
        <div class="columns">
            <section aria-labelledby="busiest-title">
                <h2 id="busiest-title">"Busiest providers"</h2>
                <ol class="busiest">
                    {d.busiest.iter().map(|(name, n)| view! { <li>{format!("{name}: {n}")}</li> }).collect_view()}
                </ol>
            </section>
        </div>
    }
    .into_any()
}

/// Bars per day, today highlighted; each bar says its number to screen readers.
#[component]
fn Chart(d: DashboardView) -> AnyView {
    const W: i64 = 40;
    const H: i64 = 160;
    let max = d.days.iter().map(|x| x.active).max().unwrap_or(0).max(1);
    let width = W * d.days.len() as i64;
    view! {
        // 20 units above the tallest bar hold its number.
        <svg class="chart" viewBox=format!("0 -20 {width} {}", H + 56) role="img" aria-label="Appointments per day"
            data-testid="chart">
            {d.days.iter().enumerate().map(|(i, day)| {
                let h = day.active * H / max;
                let x = i as i64 * W;
                let today = day.date == d.today;
                view! {
                    <g data-date=day.date.to_string() data-count=day.active>
                        <title>{format!("{}: {} appointments", day.date.format("%a %-d %b"), day.active)}</title>
                        <rect x=x + 6 y=H - h width=W - 12 height=h class:today=today class="bar" />
                        <text x=x + W / 2 y=H - h - 4 text-anchor="middle" class="bar-label">{day.active}</text>
                        <text x=x + W / 2 y=H + 16 text-anchor="middle" class="axis">{day.date.format("%a").to_string()}</text>
                        <text x=x + W / 2 y=H + 30 text-anchor="middle" class="axis">{day.date.format("%-d").to_string()}</text>
                    </g>
                }
            }).collect_view()}
        </svg>
    }
    .into_any()
}

/// The date and time in the business's zone (the desk may be elsewhere, or
/// set to another zone) and its time format, in the browser's language,
/// ticking once the page is live. The server renders a placeholder.
#[component]
fn LocalClock() -> impl IntoView {
    let me = use_me();
    let zone = move || {
        me.get()
            .and_then(Result::ok)
            .flatten()
            .map(|m| (m.tenant.time_zone, m.tenant.time_format))
    };
    let now = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        let zone = zone();
        now.set(Some(local_time_text(zone.as_ref())));
        let handle = set_interval_with_handle(
            move || now.set(Some(local_time_text(zone.as_ref()))),
            std::time::Duration::from_secs(1),
        );
        on_cleanup(move || {
            if let Ok(handle) = handle {
                handle.clear();
            }
        });
    });
    view! {
        <p class="clock" data-testid="clock">
            {move || now.get().unwrap_or_else(|| "--:--".to_string())}
        </p>
    }
}

#[cfg(feature = "hydrate")]
fn local_time_text(zone: Option<&(String, TimeFormat)>) -> String {
    let date = js_sys::Date::new_0();
    let options = js_sys::Object::new();
    for (key, value) in [
        ("weekday", "long"),
        ("day", "numeric"),
        ("month", "long"),
        ("hour", "2-digit"),
        ("minute", "2-digit"),
        ("second", "2-digit"),
    ] {
        let _ = js_sys::Reflect::set(&options, &key.into(), &value.into());
    }
    if let Some((zone, format)) = zone {
        let _ = js_sys::Reflect::set(&options, &"timeZone".into(), &zone.into());
        let twelve = *format == TimeFormat::H12;
        let _ = js_sys::Reflect::set(&options, &"hour12".into(), &twelve.into());
    }
    date.to_locale_string("default", &options).into()
}

#[cfg(not(feature = "hydrate"))]
fn local_time_text(_zone: Option<&(String, TimeFormat)>) -> String {
    String::new()
}
