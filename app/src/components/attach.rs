//! "Attach files" in the reply and new-message forms: the client's files as
//! checkboxes (`attachments[i]`, so a plain post sends them too), and an
//! upload to the client's files whose new files come already ticked.

use std::collections::BTreeSet;

use frontdesk::domain::{
    files::human_size,
    roles::{Action, Permission, RecordKind},
};
use leptos::prelude::*;
use uuid::Uuid;

use crate::{
    components::{
        files::{FileUpload, Uploads},
        forms::FieldError,
    },
    errors::UiError,
    fns::files::client_files,
    layout::use_me,
};

const UPLOAD: Permission = Permission::Record(RecordKind::File, Action::Create);

#[component]
pub fn AttachFiles(
    client_id: Uuid,
    /// The form's latest error, for the `attachments` field.
    error: Signal<Option<UiError>>,
    /// Changes when the message was sent: the ticks are cleared.
    sent: Signal<Option<Uuid>>,
) -> AnyView {
    let me = use_me();
    let refresh = RwSignal::new(0u32);
    let files = Resource::new(
        move || (client_id, refresh.get()),
        |(id, _)| client_files(id),
    );
    let ticked = RwSignal::new(BTreeSet::<Uuid>::new());
    // The files there were before an upload, so the new ones can be ticked.
    let known = StoredValue::new(None::<BTreeSet<Uuid>>);
    let uploads = Uploads::new();
    let on_change = Callback::new(move |()| refresh.update(|n| *n += 1));
    // Sent: the files are cleared and the list folds away.
    let disclosure = NodeRef::<leptos::html::Details>::new();
    Effect::new(move |_| {
        if sent.get().is_some() {
            ticked.set(BTreeSet::new());
            if let Some(details) = disclosure.get_untracked() {
                details.set_open(false);
            }
        }
    });
    let open = move || error.with(|e| e.as_ref().is_some_and(|e| e.field("attachments").is_some()));
    view! {
        <details class="attach" open=open node_ref=disclosure>
            <summary>{move || match ticked.with(BTreeSet::len) {
                0 => "Attach files".to_string(),
                1 => "Attach files (1 chosen)".to_string(),
                n => format!("Attach files ({n} chosen)"),
            }}</summary>
            <Suspense fallback=|| view! { <p class="muted">"Loading the client's files…"</p> }>
                {move || Suspend::new(async move {
                    let files = match files.await {
                        Ok(files) => files,
                        Err(e) => return view! { <p class="form-error" role="alert">{e.message}</p> }.into_any(),
                    };
                    let ids: BTreeSet<Uuid> = files.iter().map(|f| f.id).collect();
                    if let Some(before) = known.get_value() {
                        ticked.update(|t| t.extend(ids.difference(&before)));
                    }
                    known.set_value(Some(ids));
                    if files.is_empty() {
                        return view! { <p class="muted">"The client has no files yet."</p> }.into_any();
                    }
                    view! {
                        <fieldset class="attach-files">
                            <legend class="visually-hidden">"The client's files"</legend>
                            {files.into_iter().enumerate().map(|(i, f)| {
                                let id = f.id;
                                view! {
                                    <label class="check">
                                        <input type="checkbox" name=format!("attachments[{i}]") value=id.to_string()
                                            prop:checked=move || ticked.with(|t| t.contains(&id))
                                            on:change=move |ev| {
                                                let on = event_target_checked(&ev);
                                                ticked.update(|t| { if on { t.insert(id); } else { t.remove(&id); } });
                                            } />
                                        {format!(" {} ", f.name)}
                                        <span class="muted">{human_size(f.size_bytes)}</span>
                                    </label>
                                }
                            }).collect_view()}
                        </fieldset>
                    }.into_any()
                })}
            </Suspense>
            <FieldError error field="attachments" />
            <Suspense>
                {move || Suspend::new(async move {
                    let me = me.await.ok().flatten();
                    let can_upload = me.is_some_and(|m| m.role().allows(UPLOAD));
                    can_upload.then(|| view! { <FileUpload client_id uploads on_change /> })
                })}
            </Suspense>
        </details>
    }
    .into_any()
}
