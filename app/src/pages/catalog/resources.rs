//! Resources: rooms, chairs and equipment, each holding one appointment at a time.

use frontdesk::domain::views::ResourceView;
use leptos::prelude::*;
use leptos_meta::Title;

use super::{archive_button, cancel_link, edit_link, failure, successes, Editing};
use crate::{
    components::forms::{error_of, invalid, FieldError, FormError},
    fns::catalog::{load_catalog, ArchiveItem, SaveResource},
};

const PATH: &str = "/settings/resources";

#[component]
pub fn ResourcesPage() -> impl IntoView {
    let save = ServerAction::<SaveResource>::new();
    let update = ServerAction::<SaveResource>::new();
    let archive = ServerAction::<ArchiveItem>::new();
    let added = successes(save.version(), save.value());
    let updated = successes(update.version(), update.value());
    let catalog = Resource::new(
        move || (added.get(), updated.get(), archive.version().get()),
        |_| load_catalog(),
    );
    let error = error_of(save.value());
    let editing = Editing::new(PATH, updated);
    editing.focus_first_field(|id| format!("resource-{}-name", id.simple()));
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
                            <thead><tr><th>"Resource"</th><th>"Kind"</th><th><span class="visually-hidden">"Actions"</span></th></tr></thead>
                            <tbody>
                                {resources.into_iter().map(|r: ResourceView| move || if editing.is(r.id) {
                                    view! { <ResourceRow update resource=r.clone() editing /> }.into_any()
                                } else {
                                    view! {
                                        <tr>
                                            <td>{r.name.clone()}</td>
                                            <td>{r.kind.clone()}</td>
                                            <td class="row-actions">
                                                {edit_link(editing, r.id, &r.name)}
                                                {archive_button(archive, "resource", r.id, &r.name)}
                                            </td>
                                        </tr>
                                    }.into_any()
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

/// A resource's row with its cells as fields: the form sits in the last
/// cell and the fields join it by their `form` attribute.
#[component]
fn ResourceRow(
    update: ServerAction<SaveResource>,
    resource: ResourceView,
    editing: Editing,
) -> impl IntoView {
    let error = error_of(update.value());
    let key = resource.id.simple().to_string();
    let form = format!("resource-{key}-form");
    view! {
        <tr class="editing" on:keydown=editing.on_escape()>
            <td>
                <label class="visually-hidden" for=format!("resource-{key}-name")>"Name"</label>
                <input id=format!("resource-{key}-name") form=form.clone() name="name" value=resource.name.clone() required aria-invalid=invalid(error, "name") />
                <FieldError error field="name" />
            </td>
            <td>
                <label class="visually-hidden" for=format!("resource-{key}-kind")>"Kind"</label>
                <input id=format!("resource-{key}-kind") form=form.clone() name="kind" value=resource.kind.clone() aria-invalid=invalid(error, "kind") />
                <FieldError error field="kind" />
            </td>
            <td class="row-actions">
                <ActionForm action=update attr:id=form attr:class="inline" attr:novalidate="">
                    <input type="hidden" name="id" value=resource.id.to_string() />
                    <button type="submit" class="primary">"Save"</button>
                    {cancel_link(editing)}
                </ActionForm>
                <FormError error />
            </td>
        </tr>
    }
}
