//! Services: what the business offers, its length, price and buffers.

use frontdesk::domain::{
    form_values::format_price,
    views::{ProviderView, ServiceView},
};
use leptos::prelude::*;
use leptos_meta::Title;

use super::{archive_button, cancel_link, edit_link, failure, successes, Editing};
use crate::{
    components::forms::{error_of, invalid, FieldError, FormError},
    fns::catalog::{load_catalog, ArchiveItem, SaveService},
};

const PATH: &str = "/settings/services";

fn field_id(prefix: &str, f: &str) -> String {
    format!("service-{prefix}-{f}")
}

#[component]
pub fn ServicesPage() -> impl IntoView {
    let save = ServerAction::<SaveService>::new();
    let update = ServerAction::<SaveService>::new();
    let archive = ServerAction::<ArchiveItem>::new();
    let added = successes(save.version(), save.value());
    let updated = successes(update.version(), update.value());
    let catalog = Resource::new(
        move || (added.get(), updated.get(), archive.version().get()),
        |_| load_catalog(),
    );
    let editing = Editing::new(PATH, updated);
    editing.focus_first_field(|id| field_id(&id.simple().to_string(), "name"));
    view! {
        <Title text="Services" />
        <h1>"Services"</h1>
        <Suspense fallback=|| view! { <p>"Loading services…"</p> }>
            {move || Suspend::new(async move {
                match catalog.await {
                    Err(e) => failure(e),
                    Ok((services, providers, _)) => view! {
                        <table class="table" aria-label="Services">
                            <thead><tr><th>"Service"</th><th>"Length"</th><th>"Price"</th><th>"Buffers"</th><th>"Needs"</th><th><span class="visually-hidden">"Actions"</span></th></tr></thead>
                            <tbody>
                                {services.into_iter().map(|s| {
                                    let providers = providers.clone();
                                    move || if editing.is(s.id) {
                                        view! {
                                            <tr class="editing" on:keydown=editing.on_escape()>
                                                <td colspan="6">
                                                    <ServiceForm save=update providers=providers.clone() service=Some(s.clone()) editing=Some(editing) />
                                                </td>
                                            </tr>
                                        }.into_any()
                                    } else {
                                        view! {
                                            <tr>
                                                <td><span class="swatch" style=format!("background:{}", s.colour)></span>{s.name.clone()}</td>
                                                <td>{format!("{} min", s.duration_minutes)}</td>
                                                <td>{format!("{} {}", format_price(s.price_minor), s.currency)}</td>
                                                <td>{format!("{} / {} min", s.buffer_before_minutes, s.buffer_after_minutes)}</td>
                                                <td>{s.resource_kinds.join(", ")}</td>
                                                <td class="row-actions">
                                                    {edit_link(editing, s.id, &s.name)}
                                                    {archive_button(archive, "service", s.id, &s.name)}
                                                </td>
                                            </tr>
                                        }.into_any()
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                        <h2>"New service"</h2>
                        <ServiceForm save providers service=None editing=None />
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
    editing: Option<Editing>,
) -> AnyView {
    let error = error_of(save.value());
    let prefix = service
        .as_ref()
        .map_or("new".to_string(), |s| s.id.simple().to_string());
    let id = move |f: &str| field_id(&prefix, f);
    let s = service.clone();
    let value = move |f: fn(&ServiceView) -> String, default: &str| {
        s.as_ref().map_or(default.to_string(), f)
    };
    let chosen = service
        .as_ref()
        .map(|s| s.provider_ids.clone())
        .unwrap_or_default();
    let class = if editing.is_some() {
        "row-form"
    } else {
        "stack narrow"
    };
    view! {
        <ActionForm action=save attr:class=class attr:novalidate="">
            <FormError error />
            {service.as_ref().map(|s| view! { <input type="hidden" name="id" value=s.id.to_string() /> })}
            <div class="field">
                <label for=id("name")>"Name"</label>
                <input id=id("name") name="name" value=value(|s| s.name.clone(), "") required aria-invalid=invalid(error, "name") />
                <FieldError error field="name" />
            </div>
            <div class="field">
                <label for=id("duration")>"Length (minutes)"</label>
                <input id=id("duration") name="duration_minutes" inputmode="numeric" value=value(|s| s.duration_minutes.to_string(), "60") aria-invalid=invalid(error, "duration_minutes") />
                <FieldError error field="duration_minutes" />
            </div>
            <div class="field">
                <label for=id("price")>"Price"</label>
                <input id=id("price") name="price" inputmode="decimal" value=value(|s| format_price(s.price_minor), "0") aria-invalid=invalid(error, "price") />
                <FieldError error field="price" />
            </div>
            <div class="field">
                <label for=id("currency")>"Currency"</label>
                <input id=id("currency") name="currency" maxlength="3" value=value(|s| s.currency.clone(), "EUR") />
            </div>
            <div class="field">
                <label for=id("before")>"Buffer before (minutes)"</label>
                <input id=id("before") name="buffer_before_minutes" inputmode="numeric" value=value(|s| s.buffer_before_minutes.to_string(), "0") aria-invalid=invalid(error, "buffer_before_minutes") />
                <FieldError error field="buffer_before_minutes" />
            </div>
            <div class="field">
                <label for=id("after")>"Buffer after (minutes)"</label>
                <input id=id("after") name="buffer_after_minutes" inputmode="numeric" value=value(|s| s.buffer_after_minutes.to_string(), "0") aria-invalid=invalid(error, "buffer_after_minutes") />
                <FieldError error field="buffer_after_minutes" />
            </div>
            <div class="field">
                <label for=id("colour")>"Colour"</label>
                <input id=id("colour") name="colour" type="color" value=value(|s| s.colour.clone(), "#4a7bd0") />
            </div>
            <div class="field">
                <label for=id("kinds")>"Needs resources of kind (comma-separated, e.g. room)"</label>
                <input id=id("kinds") name="resource_kinds" value=value(|s| s.resource_kinds.join(", "), "") aria-invalid=invalid(error, "resource_kinds") />
                <FieldError error field="resource_kinds" />
            </div>
            <fieldset class="wide">
                <legend>"Performed by (none ticked: everyone)"</legend>
                {providers.into_iter().enumerate().map(|(i, p)| view! {
                    <label class="check">
                        <input type="checkbox" name=format!("provider_ids[{i}]") value=p.id.to_string() checked=chosen.contains(&p.id) />
                        {p.name}
                    </label>
                }).collect_view()}
            </fieldset>
            <FieldError error field="provider_ids" />
            <div class="form-actions">
                <button type="submit" class="primary">{if service.is_some() { "Save service" } else { "Add service" }}</button>
                {editing.map(cancel_link)}
            </div>
        </ActionForm>
    }
    .into_any()
}
