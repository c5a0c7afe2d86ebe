//! The dashboard's first section: today per provider, each client with
//! where they stand (next up, late, arrived, in progress) and one-click
//! Arrived, Completed and No-show; each provider's day sheet prints.

use frontdesk::domain::{
    records::AppointmentStatus,
    time_format::Clock,
    today::{next_up, standing, Standing},
    views::{AppointmentView, DashboardView},
};
use leptos::prelude::*;

use crate::fns::scheduling::SetStatus;

/// Today's appointments grouped by provider, in the order of their first one.
fn by_provider(agenda: &[AppointmentView]) -> Vec<(String, Vec<AppointmentView>)> {
    let mut groups: Vec<(String, Vec<AppointmentView>)> = Vec::new();
    for a in agenda {
        match groups.iter_mut().find(|(name, _)| *name == a.provider_name) {
            Some((_, list)) => list.push(a.clone()),
            None => groups.push((a.provider_name.clone(), vec![a.clone()])),
        }
    }
    for (_, list) in &mut groups {
        list.sort_by_key(|a| a.starts_at);
    }
    groups
}

#[component]
pub fn TodayBoard(d: DashboardView, clock: Clock, set_status: ServerAction<SetStatus>) -> AnyView {
    let groups = by_provider(&d.agenda);
    let now = d.now;
    let sheet = format!("/day-sheet?date={}", d.today);
    view! {
        <section aria-labelledby="today-title" class="today">
            <div class="today-head">
                <h2 id="today-title">{format!("Today, {}", d.today.format("%A %-d %B"))}</h2>
                <a class="button" href=sheet rel="external">"Print day sheets"</a>
            </div>
            {groups.is_empty().then(|| view! { <p class="muted">"Nothing booked today."</p> })}
            <div class="today-board" data-testid="today">
                {groups.into_iter().map(|(provider, list)| {
                    let next = next_up(&list, now);
                    view! {
                        <article class="card today-provider" aria-label=provider.clone()>
                            <h3>{provider.clone()}</h3>
                            <ol class="today-list">
                                {list.into_iter().enumerate().map(|(i, a)| {
                                    let stands = if Some(i) == next { None } else { Some(standing(&a, now)) };
                                    view! { <TodayItem a stands clock set_status /> }
                                }).collect_view()}
                            </ol>
                        </article>
                    }
                }).collect_view()}
            </div>
        </section>
    }
    .into_any()
}

/// One client of today. `stands` is `None` for the provider's next one.
#[component]
fn TodayItem(
    a: AppointmentView,
    stands: Option<Standing>,
    clock: Clock,
    set_status: ServerAction<SetStatus>,
) -> impl IntoView {
    let (key, label) = match stands {
        None => ("next", "Next up"),
        Some(s) => (s.key(), s.label()),
    };
    let id = a.id;
    let action = move |status: AppointmentStatus, text: &'static str, name: String| {
        view! {
            <button type="button" class="small" aria-label=format!("{text}: {name}")
                on:click=move |_| { set_status.dispatch(SetStatus { id, status }); }>{text}</button>
        }
    };
    let waiting = matches!(
        a.status,
        AppointmentStatus::Booked | AppointmentStatus::Confirmed
    );
    let here = a.status == AppointmentStatus::Arrived;
    let late = stands == Some(Standing::Late);
    let name = a.client_name.clone();
    view! {
        <li class=format!("today-item stands-{key}")>
            <time datetime=a.starts_at.to_rfc3339()>{clock.span(a.starts_at, a.ends_at)}</time>
            <span class="who"><a href=format!("/clients/{}", a.client_id)>{a.client_name.clone()}</a>
                <span class="muted">{format!(" · {}", a.service_name)}</span></span>
            <span class=format!("badge stands-{key}")>{label}</span>
            <span class="today-actions">
                {waiting.then(|| action(AppointmentStatus::Arrived, "Arrived", name.clone()))}
                {(waiting || here).then(|| action(AppointmentStatus::Completed, "Completed", name.clone()))}
                {(waiting && late).then(|| action(AppointmentStatus::NoShow, "No-show", name.clone()))}
                {(a.status == AppointmentStatus::NoShow).then(|| action(AppointmentStatus::Booked, "Undo no-show", name.clone()))}
            </span>
        </li>
    }
}
