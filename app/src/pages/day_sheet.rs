//! The day sheet: each provider's appointments for a day on a page of its
//! own when printed, in the business's zone.

use chrono::NaiveDate;
use frontdesk::domain::records::AppointmentStatus;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    components::time::{clock_of, now, zone},
    fns::scheduling::load_calendar,
    layout::use_me,
};

#[component]
pub fn DaySheetPage() -> impl IntoView {
    let query = use_query_map();
    let me = use_me();
    let sheet = Resource::new(
        move || {
            query
                .read()
                .get("date")
                .and_then(|d| d.parse::<NaiveDate>().ok())
        },
        move |date| async move {
            let tz = zone(
                &me.await
                    .ok()
                    .flatten()
                    .map(|m| m.tenant.time_zone)
                    .unwrap_or_default(),
            );
            let date = date.unwrap_or_else(|| now().with_timezone(&tz).date_naive());
            load_calendar(date, 1, None, None, false)
                .await
                .map(|v| (date, v))
        },
    );
    view! {
        <Title text="Day sheets" />
        <Suspense fallback=|| view! { <p>"Loading the day sheets…"</p> }>
            {move || Suspend::new(async move {
                match sheet.await {
                    Err(e) => view! { <p class="form-error" role="alert">{e.message}</p> }.into_any(),
                    Ok((date, view)) => {
                        let clock = clock_of(&view.time_zone, view.time_format);
                        let day = date.format("%A %-d %B %Y").to_string();
                        view! {
                            <div class="day-sheet-tools">
                                <h1>{format!("Day sheets, {day}")}</h1>
                                <button type="button" class="primary" on:click=move |_| print_page()>"Print"</button>
                            </div>
                            {view.providers.iter().map(|p| {
                                let mut list: Vec<_> = view.appointments.iter()
                                    .filter(|a| a.provider_id == p.id && a.status != AppointmentStatus::Cancelled)
                                    .cloned().collect();
                                list.sort_by_key(|a| a.starts_at);
                                view! {
                                    <section class="day-sheet" aria-label=p.name.clone()>
                                        <h2>{format!("{} · {day}", p.name)}</h2>
                                        {if list.is_empty() {
                                            view! { <p class="muted">"Nothing booked."</p> }.into_any()
                                        } else {
                                            view! {
                                                <table class="table">
                                                    <thead><tr><th>"Time"</th><th>"Client"</th><th>"Service"</th><th>"Notes"</th><th>"Done"</th></tr></thead>
                                                    <tbody>
                                                        {list.into_iter().map(|a| view! {
                                                            <tr>
                                                                <td>{clock.span(a.starts_at, a.ends_at)}</td>
                                                                <td>{a.client_name.clone()}</td>
                                                                <td>{a.service_name.clone()}</td>
                                                                <td>{a.notes.clone()}</td>
                                                                <td class="tick" aria-label="Done">"☐"</td>
                                                            </tr>
                                                        }).collect_view()}
                                                    </tbody>
                                                </table>
                                            }.into_any()
                                        }}
                                    </section>
                                }
                            }).collect_view()}
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// Opens the browser's print dialog (each provider starts a new page).
fn print_page() {
    #[cfg(feature = "hydrate")]
    let _ = window().print();
}
