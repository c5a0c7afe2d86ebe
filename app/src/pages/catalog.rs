//! Settings for what the business offers: services, providers with their
//! working hours, and resources. Every form is a plain form that also
//! works before the page is live.

use chrono::Weekday;
use frontdesk::domain::{
    account::TimeZoneName,
    form_values::{format_day_hours, format_price},
    scheduling::weekday_from_number,
    views::{ProviderView, ResourceView, ServiceView},
};
use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    components::forms::{error_of, invalid, FieldError, FormError},
    components::time::{date_time, zone},
    errors::UiError,
    fns::catalog::{
        load_catalog, AddDaysOff, ArchiveItem, RemoveTimeOff, SaveProvider, SaveResource,
        SaveService,
    },
};

const DAY_NAMES: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

fn archive_button(
    archive: ServerAction<ArchiveItem>,
    kind: &'static str,
    id: String,
) -> impl IntoView {
    view! {
        <ActionForm action=archive attr:class="inline">
            <input type="hidden" name="kind" value=kind />
            <input type="hidden" name="id" value=id />
            <button type="submit" class="danger">"Archive"</button>
        </ActionForm>
    }
}

fn failure(e: UiError) -> AnyView {
    view! { <p class="form-error" role="alert">{e.message}</p> }.into_any()
}

#[component]
pub fn ServicesPage() -> impl IntoView {
    let save = ServerAction::<SaveService>::new();
    let archive = ServerAction::<ArchiveItem>::new();
    let catalog = Resource::new(
        move || (save.version().get(), archive.version().get()),
        |_| load_catalog(),
    );
    view! {
        <Title text="Services" />
        <h1>"Services"</h1>
        <Suspense fallback=|| view! { <p>"Loading services…"</p> }>
            {move || Suspend::new(async move {
                match catalog.await {
                    Err(e) => failure(e),
                    Ok((services, providers, _)) => view! {
                        <table class="table" aria-label="Services">
                            <thead><tr><th>"Service"</th><th>"Length"</th><th>"Price"</th><th>"Buffers"</th><th>"Needs"</th><th></th></tr></thead>
                            <tbody>
                                {services.iter().map(|s| view! {
                                    <tr>
                                        <td><span class="swatch" style=format!("background:{}", s.colour)></span>{s.name.clone()}</td>
                                        <td>{format!("{} min", s.duration_minutes)}</td>
                                        <td>{format!("{} {}", format_price(s.price_minor), s.currency)}</td>
                                        <td>{format!("{} / {} min", s.buffer_before_minutes, s.buffer_after_minutes)}</td>
                                        <td>{s.resource_kinds.join(", ")}</td>
                                        <td>{archive_button(archive, "service", s.id.to_string())}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                        {services.iter().map(|s| view! {
                            <details class="edit">
                                <summary>{format!("Edit {}", s.name)}</summary>
                                <ServiceForm save providers=providers.clone() service=Some(s.clone()) />
                            </details>
                        }).collect_view()}
                        <h2>"New service"</h2>
                        <ServiceForm save providers=providers.clone() service=None />
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ServiceForm(
    save: ServerAction<SaveService>,
    providers: Vec<ProviderView>,
    service: Option<ServiceView>,
) -> AnyView {
    let error = error_of(save.value());
    let prefix = service
        .as_ref()
        .map_or("new".to_string(), |s| s.id.simple().to_string());
    let id = move |f: &str| format!("service-{prefix}-{f}");
    let s = service.clone();
    let value = move |f: fn(&ServiceView) -> String, default: &str| {
        s.as_ref().map_or(default.to_string(), f)
    };
    let chosen = service
        .as_ref()
        .map(|s| s.provider_ids.clone())
        .unwrap_or_default();
    view! {
        <ActionForm action=save attr:class="stack narrow" attr:novalidate="">
            <FormError error />
            {service.as_ref().map(|s| view! { <input type="hidden" name="id" value=s.id.to_string() /> })}
            <label for=id("name")>"Name"</label>
            <input id=id("name") name="name" value=value(|s| s.name.clone(), "") required aria-invalid=invalid(error, "name") />
            <FieldError error field="name" />
            <label for=id("duration")>"Length (minutes)"</label>
            <input id=id("duration") name="duration_minutes" inputmode="numeric" value=value(|s| s.duration_minutes.to_string(), "60") aria-invalid=invalid(error, "duration_minutes") />
            <FieldError error field="duration_minutes" />
            <label for=id("price")>"Price"</label>
            <input id=id("price") name="price" inputmode="decimal" value=value(|s| format_price(s.price_minor), "0") aria-invalid=invalid(error, "price") />
            <FieldError error field="price" />
            <label for=id("currency")>"Currency"</label>
            <input id=id("currency") name="currency" maxlength="3" value=value(|s| s.currency.clone(), "EUR") />
            <label for=id("before")>"Buffer before (minutes)"</label>
            <input id=id("before") name="buffer_before_minutes" inputmode="numeric" value=value(|s| s.buffer_before_minutes.to_string(), "0") aria-invalid=invalid(error, "buffer_before_minutes") />
            <FieldError error field="buffer_before_minutes" />
            <label for=id("after")>"Buffer after (minutes)"</label>
            <input id=id("after") name="buffer_after_minutes" inputmode="numeric" value=value(|s| s.buffer_after_minutes.to_string(), "0") aria-invalid=invalid(error, "buffer_after_minutes") />
            <FieldError error field="buffer_after_minutes" />
            <label for=id("colour")>"Colour"</label>
            <input id=id("colour") name="colour" type="color" value=value(|s| s.colour.clone(), "#4a7bd0") />
            <label for=id("kinds")>"Needs resources of kind (comma-separated, e.g. room)"</label>
            <input id=id("kinds") name="resource_kinds" value=value(|s| s.resource_kinds.join(", "), "") aria-invalid=invalid(error, "resource_kinds") />
            <FieldError error field="resource_kinds" />
            <fieldset>
                <legend>"Performed by (none ticked: everyone)"</legend>
                {providers.into_iter().enumerate().map(|(i, p)| view! {
                    <label class="check">
                        <input type="checkbox" name=format!("provider_ids[{i}]") value=p.id.to_string() checked=chosen.contains(&p.id) />
                        {p.name}
                    </label>
                }).collect_view()}
            </fieldset>
            <FieldError error field="provider_ids" />
            <button type="submit" class="primary">{if service.is_some() { "Save service" } else { "Add service" }}</button>
        </ActionForm>
    }
    .into_any()
}

#[component]
pub fn ProvidersPage() -> impl IntoView {
    let save = ServerAction::<SaveProvider>::new();
    let archive = ServerAction::<ArchiveItem>::new();
    let days_off = ServerAction::<AddDaysOff>::new();
    let remove_off = ServerAction::<RemoveTimeOff>::new();
    let catalog = Resource::new(
        move || {
            (
                save.version().get(),
                archive.version().get(),
                days_off.version().get(),
                remove_off.version().get(),
            )
        },
        |_| load_catalog(),
    );
    view! {
        <Title text="Providers" />
        <h1>"Providers"</h1>
        <Suspense fallback=|| view! { <p>"Loading providers…"</p> }>
            {move || Suspend::new(async move {
                match catalog.await {
                    Err(e) => failure(e),
                    Ok((_, providers, _)) => view! {
                        <table class="table" aria-label="Providers">
                            <thead><tr><th>"Provider"</th><th>"Time zone"</th><th>"Working hours"</th><th></th></tr></thead>
                            <tbody>
                                {providers.iter().map(|p| view! {
                                    <tr>
                                        <td><span class="swatch" style=format!("background:{}", p.colour)></span>{p.name.clone()}</td>
                                        <td>{p.time_zone.clone()}</td>
                                        <td>{week_summary(&p.hours)}</td>
                                        <td>{archive_button(archive, "provider", p.id.to_string())}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                        {providers.iter().map(|p| view! {
                            <details class="edit">
                                <summary>{format!("Edit {}", p.name)}</summary>
                                <ProviderForm save provider=Some(p.clone()) />
                            </details>
                        }).collect_view()}
                        <h2>"New provider"</h2>
                        <ProviderForm save provider=None />
                        <TimeOff providers=providers.clone() add=days_off remove=remove_off />
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn week_summary(hours: &[frontdesk::domain::scheduling::WorkingSpan]) -> String {
    (1..=7)
        .filter_map(|d| {
            let day = weekday_from_number(d)?;
            let text = format_day_hours(hours, day);
            (!text.is_empty()).then(|| format!("{} {text}", &DAY_NAMES[d as usize - 1][..3]))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[component]
fn ProviderForm(save: ServerAction<SaveProvider>, provider: Option<ProviderView>) -> AnyView {
    let error = error_of(save.value());
    let prefix = provider
        .as_ref()
        .map_or("new".to_string(), |p| p.id.simple().to_string());
    let id = move |f: &str| format!("provider-{prefix}-{f}");
    let zone = provider.as_ref().map(|p| p.time_zone.clone());
    let hours = provider.as_ref().map(|p| p.hours.clone());
    view! {
        <ActionForm action=save attr:class="stack narrow" attr:novalidate="">
            <FormError error />
            {provider.as_ref().map(|p| view! { <input type="hidden" name="id" value=p.id.to_string() /> })}
            <label for=id("name")>"Name"</label>
            <input id=id("name") name="name" value=provider.as_ref().map(|p| p.name.clone()) required aria-invalid=invalid(error, "name") />
            <FieldError error field="name" />
            <label for=id("zone")>"Time zone"</label>
            <select id=id("zone") name="time_zone" aria-invalid=invalid(error, "time_zone")>
                {zone.is_none().then(|| view! { <option value="" selected=true>"Choose a time zone"</option> })}
                {TimeZoneName::choices()
                    .map(|z| view! { <option value=z selected=zone.as_deref() == Some(z)>{z}</option> })
                    .collect_view()}
            </select>
            <FieldError error field="time_zone" />
            <label for=id("colour")>"Colour"</label>
            <input id=id("colour") name="colour" type="color" value=provider.as_ref().map_or("#2f855a".to_string(), |p| p.colour.clone()) />
            <fieldset>
                <legend>"Working hours (e.g. 09:00-12:30, 13:30-17:00; empty: day off)"</legend>
                {DAY_NAMES.iter().enumerate().map(|(i, day)| {
                    let weekday = weekday_from_number(i as i16 + 1).unwrap_or(Weekday::Mon);
                    let value = match &hours {
                        Some(h) => format_day_hours(h, weekday),
                        None if i < 5 => "09:00-17:00".to_string(),
                        None => String::new(),
                    };
                    let field: &'static str = ["hours_1", "hours_2", "hours_3", "hours_4", "hours_5", "hours_6", "hours_7"][i];
                    view! {
                        <label for=id(field)>{*day}</label>
                        <input id=id(field) name=format!("hours[{i}]") value=value aria-invalid=invalid(error, field) />
                        <FieldError error field />
                    }
                }).collect_view()}
            </fieldset>
            <FieldError error field="hours" />
            <button type="submit" class="primary">{if provider.is_some() { "Save provider" } else { "Add provider" }}</button>
        </ActionForm>
    }
    .into_any()
}

#[component]
pub fn ResourcesPage() -> impl IntoView {
    let save = ServerAction::<SaveResource>::new();
    let archive = ServerAction::<ArchiveItem>::new();
    let catalog = Resource::new(
        move || (save.version().get(), archive.version().get()),
        |_| load_catalog(),
    );
    let error = error_of(save.value());
    view! {
        <Title text="Resources" />
        <h1>"Resources"</h1>
        <p class="muted">"Rooms, chairs and equipment: each holds one appointment at a time."</p>
        <Suspense fallback=|| view! { <p>"Loading resources…"</p> }>
            {move || Suspend::new(async move {
                match catalog.await {
                    Err(e) => failure(e),
                    Ok((_, _, resources)) => view! {
                        <table class="table" aria-label="Resources">
                            <thead><tr><th>"Resource"</th><th>"Kind"</th><th></th></tr></thead>
                            <tbody>
                                {resources.into_iter().map(|r: ResourceView| view! {
                                    <tr>
                                        <td>{r.name.clone()}</td>
                                        <td>{r.kind.clone()}</td>
                                        <td>{archive_button(archive, "resource", r.id.to_string())}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                }
            })}
        </Suspense>
        <h2>"New resource"</h2>
        <ActionForm action=save attr:class="stack narrow" attr:novalidate="">
            <FormError error />
            <label for="resource-name">"Name"</label>
            <input id="resource-name" name="name" required aria-invalid=invalid(error, "name") />
            <FieldError error field="name" />
            <label for="resource-kind">"Kind (room, chair, laser…)"</label>
            <input id="resource-kind" name="kind" value="room" aria-invalid=invalid(error, "kind") />
            <FieldError error field="kind" />
            <button type="submit" class="primary">"Add resource"</button>
        </ActionForm>
    }
}

/// Days off: upcoming ones with a way to remove them, and a form to add more.
#[component]
fn TimeOff(
    providers: Vec<ProviderView>,
    add: ServerAction<AddDaysOff>,
    remove: ServerAction<RemoveTimeOff>,
) -> AnyView {
    let error = error_of(add.value());
    let upcoming: Vec<_> = providers
        .iter()
        .flat_map(|p| {
            p.time_off
                .iter()
                .map(move |t| (p.name.clone(), zone(&p.time_zone), t.clone()))
        })
        .collect();
    view! {
        <h2 id="time-off">"Time off"</h2>
        {if upcoming.is_empty() {
            view! { <p class="muted">"No time off planned."</p> }.into_any()
        } else {
            view! {
                <table class="table" aria-label="Time off">
                    <thead><tr><th>"Provider"</th><th>"From"</th><th>"Until"</th><th>"Reason"</th><th></th></tr></thead>
                    <tbody>
                        {upcoming.into_iter().map(|(name, tz, t)| view! {
                            <tr>
                                <td>{name}</td>
                                <td>{date_time(t.starts_at, tz)}</td>
                                <td>{date_time(t.ends_at, tz)}</td>
                                <td>{t.reason.clone()}</td>
                                <td>
                                    <ActionForm action=remove attr:class="inline">
                                        <input type="hidden" name="id" value=t.id.to_string() />
                                        <button type="submit" class="danger">"Remove"</button>
                                    </ActionForm>
                                </td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }}
        <ActionForm action=add attr:class="stack narrow" attr:novalidate="">
            <FormError error />
            <label for="off-provider">"Provider"</label>
            <select id="off-provider" name="provider">
                {providers.iter().map(|p| view! { <option value=p.id.to_string()>{p.name.clone()}</option> }).collect_view()}
            </select>
            <label for="off-first">"First day"</label>
            <input id="off-first" name="first" type="date" aria-invalid=invalid(error, "first") />
            <FieldError error field="first" />
            <label for="off-last">"Last day"</label>
            <input id="off-last" name="last" type="date" aria-invalid=invalid(error, "last") />
            <FieldError error field="last" />
            <label for="off-reason">"Reason"</label>
            <input id="off-reason" name="reason" />
            <button type="submit" class="primary">"Add time off"</button>
        </ActionForm>
    }
    .into_any()
}
