//! Providers: who takes appointments, their working week and time off.

use frontdesk::domain::{account::TimeZoneName, time_format::TimeFormat, views::ProviderView};
use leptos::prelude::*;
use leptos_meta::Title;

use super::{
    archive_button, cancel_link, edit_link, failure,
    hours::{HoursGrid, WeekBars},
    successes, Editing,
};
use crate::{
    components::forms::{error_of, invalid, FieldError, FormError},
    components::time::clock_of,
    fns::catalog::{load_catalog, AddDaysOff, ArchiveItem, RemoveTimeOff, SaveProvider},
    layout::use_me,
};

const PATH: &str = "/settings/providers";

#[component]
pub fn ProvidersPage() -> impl IntoView {
    let save = ServerAction::<SaveProvider>::new();
    let update = ServerAction::<SaveProvider>::new();
    let archive = ServerAction::<ArchiveItem>::new();
    let days_off = ServerAction::<AddDaysOff>::new();
    let remove_off = ServerAction::<RemoveTimeOff>::new();
    let added = successes(save.version(), save.value());
    let updated = successes(update.version(), update.value());
    let catalog = Resource::new(
        move || {
            (
                added.get(),
                updated.get(),
                archive.version().get(),
                days_off.version().get(),
                remove_off.version().get(),
            )
        },
        |_| load_catalog(),
    );
    let me = use_me();
    let editing = Editing::new(PATH, updated);
    editing.focus_first_field(|id| format!("provider-{}-name", id.simple()));
    view! {
        <Title text="Providers" />
        <h1>"Providers"</h1>
        <Suspense fallback=|| view! { <p>"Loading providers…"</p> }>
            {move || Suspend::new(async move {
                let format = me.await.ok().flatten().map(|m| m.tenant.time_format).unwrap_or_default();
                match catalog.await {
                    Err(e) => failure(e),
                    Ok((_, providers, _)) => view! {
                        <table class="table" aria-label="Providers">
                            <thead><tr><th>"Provider"</th><th>"Time zone"</th><th>"Working hours"</th><th><span class="visually-hidden">"Actions"</span></th></tr></thead>
                            <tbody>
                                {providers.iter().cloned().map(|p| move || if editing.is(p.id) {
                                    view! {
                                        <tr class="editing" on:keydown=editing.on_escape()>
                                            <td colspan="4"><ProviderForm save=update provider=Some(p.clone()) editing=Some(editing) /></td>
                                        </tr>
                                    }.into_any()
                                } else {
                                    view! {
                                        <tr>
                                            <td><span class="swatch" style=format!("background:{}", p.colour)></span>{p.name.clone()}</td>
                                            <td>{p.time_zone.clone()}</td>
                                            <td><WeekBars hours=p.hours.clone() format /></td>
                                            <td class="row-actions">
                                                {edit_link(editing, p.id, &p.name)}
                                                {archive_button(archive, "provider", p.id, &p.name)}
                                            </td>
                                        </tr>
                                    }.into_any()
                                }).collect_view()}
                            </tbody>
                        </table>
                        <h2>"New provider"</h2>
                        <ProviderForm save provider=None editing=None />
                        <TimeOff providers=providers.clone() add=days_off remove=remove_off format />
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ProviderForm(
    save: ServerAction<SaveProvider>,
    provider: Option<ProviderView>,
    editing: Option<Editing>,
) -> AnyView {
    let error = error_of(save.value());
    let prefix = provider
        .as_ref()
        .map_or("new".to_string(), |p| p.id.simple().to_string());
    let id = {
        let prefix = prefix.clone();
        move |f: &str| format!("provider-{prefix}-{f}")
    };
    let zone = provider.as_ref().map(|p| p.time_zone.clone());
    let hours = provider.as_ref().map(|p| p.hours.clone());
    let class = if editing.is_some() {
        "row-form"
    } else {
        "stack"
    };
    view! {
        <ActionForm action=save attr:class=class attr:novalidate="">
            <FormError error />
            {provider.as_ref().map(|p| view! { <input type="hidden" name="id" value=p.id.to_string() /> })}
            <div class="field">
                <label for=id("name")>"Name"</label>
                <input id=id("name") name="name" value=provider.as_ref().map(|p| p.name.clone()) required aria-invalid=invalid(error, "name") />
                <FieldError error field="name" />
            </div>
            <div class="field">
                <label for=id("zone")>"Time zone"</label>
                <select id=id("zone") name="time_zone" aria-invalid=invalid(error, "time_zone")>
                    {zone.is_none().then(|| view! { <option value="" selected=true>"Choose a time zone"</option> })}
                    {TimeZoneName::choices()
                        .map(|z| view! { <option value=z selected=zone.as_deref() == Some(z)>{z}</option> })
                        .collect_view()}
                </select>
                <FieldError error field="time_zone" />
            </div>
            <div class="field">
                <label for=id("colour")>"Colour"</label>
                <input id=id("colour") name="colour" type="color" value=provider.as_ref().map_or("#2f855a".to_string(), |p| p.colour.clone()) />
            </div>
            <HoursGrid prefix hours error />
            <FieldError error field="hours" />
            <div class="form-actions">
                <button type="submit" class="primary">{if provider.is_some() { "Save provider" } else { "Add provider" }}</button>
                {editing.map(cancel_link)}
            </div>
        </ActionForm>
    }
    .into_any()
}

/// Days off: upcoming ones with a way to remove them, and a form to add more.
#[component]
fn TimeOff(
    providers: Vec<ProviderView>,
    add: ServerAction<AddDaysOff>,
    remove: ServerAction<RemoveTimeOff>,
    /// The business's time format; each provider's times are in their own zone.
    format: TimeFormat,
) -> AnyView {
    let error = error_of(add.value());
    let upcoming: Vec<_> = providers
        .iter()
        .flat_map(|p| {
            p.time_off
                .iter()
                .map(move |t| (p.name.clone(), clock_of(&p.time_zone, format), t.clone()))
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
                        {upcoming.into_iter().map(|(name, clock, t)| view! {
                            <tr>
                                <td>{name}</td>
                                <td>{clock.date_time(t.starts_at)}</td>
                                <td>{clock.date_time(t.ends_at)}</td>
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
