//! A client's files: drop or choose files to upload (each with its progress
//! bar), the list with preview, download and delete.

use chrono_tz::Tz;
use frontdesk::domain::{files::human_size, views::ClientFileView};
use leptos::prelude::*;
use uuid::Uuid;

use crate::{components::time::date_time, fns::files::DeleteClientFile};

/// One upload in progress or finished, shown above the list.
#[derive(Clone, Copy)]
pub struct Upload {
    pub key: u32,
    pub name: StoredValue<String>,
    /// Percent sent.
    pub progress: RwSignal<f64>,
    /// `None` while sending; the server's message when it failed.
    pub outcome: RwSignal<Option<Result<(), String>>>,
}

/// Uploads live above the page's data, so a refresh of the list after one
/// finishes does not lose the others' progress.
#[derive(Clone, Copy)]
pub struct Uploads {
    pub items: RwSignal<Vec<Upload>>,
    next: StoredValue<u32>,
}

impl Uploads {
    pub fn new() -> Self {
        Self {
            items: RwSignal::new(Vec::new()),
            next: StoredValue::new(0),
        }
    }
}

impl Default for Uploads {
    fn default() -> Self {
        Self::new()
    }
}

#[component]
pub fn ClientFiles(
    client_id: Uuid,
    files: Vec<ClientFileView>,
    tz: Tz,
    can_upload: bool,
    can_delete: bool,
    uploads: Uploads,
    /// Called when the list changed (an upload finished, a file was deleted).
    on_change: Callback<()>,
    delete: ServerAction<DeleteClientFile>,
) -> impl IntoView {
    let dragging = RwSignal::new(false);
    let preview = RwSignal::new(None::<Uuid>);
    let start = move |picked: Vec<Picked>| {
        for file in picked {
            let key = uploads.next.get_value();
            uploads.next.set_value(key + 1);
            let upload = Upload {
                key,
                name: StoredValue::new(file.name()),
                progress: RwSignal::new(0.0),
                outcome: RwSignal::new(None),
            };
            uploads.items.update(|items| items.push(upload));
            send(client_id, file, upload, on_change);
        }
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        start(dropped(&ev));
    };
    let on_pick = move |ev: leptos::ev::Event| start(chosen(&ev));
    let empty = files.is_empty();

    view! {
        <section class="files" aria-labelledby="files-heading">
            <h2 id="files-heading">"Files"</h2>
            {can_upload.then(|| view! {
                <div
                    class="dropzone"
                    class:dragging=move || dragging.get()
                    on:dragover=move |ev: leptos::ev::DragEvent| { ev.prevent_default(); dragging.set(true); }
                    on:dragleave=move |_| dragging.set(false)
                    on:drop=on_drop
                >
                    <p>"Drop files here, or "
                        <label class="link">"choose files"
                            <input type="file" multiple class="visually-hidden" aria-label="Choose files" on:change=on_pick />
                        </label>
                    </p>
                    <p class="muted">"Images, PDFs, text, CSV, Word and Excel files."</p>
                </div>
            })}
            <ul class="uploads" aria-label="Uploads">
                <For each=move || uploads.items.get() key=|u| u.key let:u>
                    <li class="upload" data-state=move || match u.outcome.get() { None => "sending", Some(Ok(())) => "done", Some(Err(_)) => "failed" }>
                        <span class="name">{u.name.get_value()}</span>
                        <progress max="100" value=move || u.progress.get() aria-label=format!("Uploading {}", u.name.get_value())></progress>
                        <span class="state">{move || match u.outcome.get() {
                            None => format!("{:.0}%", u.progress.get()),
                            Some(Ok(())) => "Uploaded".into(),
                            Some(Err(e)) => e,
                        }}</span>
                    </li>
                </For>
            </ul>
            {if empty {
                view! { <p class="muted">"No files yet."</p> }.into_any()
            } else {
                view! {
                    <table class="file-list">
                        <thead><tr><th>"Name"</th><th>"Size"</th><th>"Type"</th><th>"Uploaded by"</th><th>"Date"</th><th><span class="visually-hidden">"Actions"</span></th></tr></thead>
                        <tbody>
                            {files.into_iter().map(|f| file_row(f, tz, can_delete, preview, delete)).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

fn file_row(
    f: ClientFileView,
    tz: Tz,
    can_delete: bool,
    preview: RwSignal<Option<Uuid>>,
    delete: ServerAction<DeleteClientFile>,
) -> impl IntoView {
    let id = f.id;
    let kind = f.kind();
    let is_image = kind.is_some_and(|k| k.is_image());
    let type_label = kind
        .map(|k| k.extension().to_uppercase())
        .unwrap_or_else(|| f.content_type.clone());
    let name = f.name.clone();
    let confirm_name = f.name.clone();
    let preview_url = f.preview_url.clone();
    let alt = format!("Preview of {}", f.name);
    view! {
        <tr data-file=id.to_string()>
            <td class="name">{f.name.clone()}</td>
            <td>{human_size(f.size_bytes)}</td>
            <td>{type_label}</td>
            <td>{f.uploaded_by.clone().unwrap_or_else(|| "—".into())}</td>
            <td><time datetime=f.uploaded_at.to_rfc3339()>{date_time(f.uploaded_at, tz)}</time></td>
            <td class="actions">
                {match (&f.preview_url, is_image) {
                    (Some(_), true) => view! {
                        <button type="button" class="link" aria-expanded=move || (preview.get() == Some(id)).to_string()
                            on:click=move |_| preview.update(|p| *p = if *p == Some(id) { None } else { Some(id) })>"Preview"</button>
                    }.into_any(),
                    (Some(url), false) => view! {
                        <a href=url.clone() target="_blank" rel="noopener">"Preview"</a>
                    }.into_any(),
                    _ => ().into_any(),
                }}
                {f.download_url.clone().map(|url| view! {
                    <a href=url download=name.clone()>"Download"</a>
                })}
                {can_delete.then(|| view! {
                    <button type="button" class="link danger" on:click=move |_| {
                        if confirm(&format!("Delete {confirm_name}? This cannot be undone.")) {
                            delete.dispatch(DeleteClientFile { id });
                        }
                    }>"Delete"</button>
                })}
            </td>
        </tr>
        {preview_url.filter(|_| is_image).map(|url| view! {
            <Show when=move || preview.get() == Some(id)>
                <tr class="preview"><td colspan="6">
                    <img src=url.clone() alt=alt.clone() />
                </td></tr>
            </Show>
        })}
    }
}

/// The browser's own confirmation; always yes where there is no browser.
fn confirm(message: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window()
            .and_then(|w| w.confirm_with_message(message).ok())
            .unwrap_or(false)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = message;
        true
    }
}

#[cfg(feature = "hydrate")]
type Picked = web_sys::File;
#[cfg(not(feature = "hydrate"))]
type Picked = NoFile;

/// Files exist only in the browser.
#[cfg(not(feature = "hydrate"))]
pub struct NoFile;

#[cfg(not(feature = "hydrate"))]
impl NoFile {
    fn name(&self) -> String {
        String::new()
    }
}

#[cfg(feature = "hydrate")]
fn dropped(ev: &leptos::ev::DragEvent) -> Vec<Picked> {
    ev.data_transfer()
        .and_then(|dt| dt.files())
        .map(list)
        .unwrap_or_default()
}

#[cfg(not(feature = "hydrate"))]
fn dropped(_: &leptos::ev::DragEvent) -> Vec<Picked> {
    Vec::new()
}

#[cfg(feature = "hydrate")]
fn chosen(ev: &leptos::ev::Event) -> Vec<Picked> {
    use wasm_bindgen::JsCast;
    let Some(input) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
    else {
        return Vec::new();
    };
    let files = input.files().map(list).unwrap_or_default();
    // The same file can be chosen again after this.
    input.set_value("");
    files
}

#[cfg(not(feature = "hydrate"))]
fn chosen(_: &leptos::ev::Event) -> Vec<Picked> {
    Vec::new()
}

#[cfg(feature = "hydrate")]
fn list(files: web_sys::FileList) -> Vec<Picked> {
    (0..files.length()).filter_map(|i| files.get(i)).collect()
}

/// Sends the file as the request body with `XMLHttpRequest`, whose upload
/// events give the progress (`fetch` has none).
#[cfg(feature = "hydrate")]
fn send(client_id: Uuid, file: Picked, upload: Upload, on_change: Callback<()>) {
    use std::cell::RefCell;
    use wasm_bindgen::{closure::Closure, JsCast};
    use web_sys::{ProgressEvent, XmlHttpRequest};

    let fail = move |message: String| upload.outcome.set(Some(Err(message)));
    let Ok(xhr) = XmlHttpRequest::new() else {
        return fail("this browser cannot upload files".into());
    };
    let name = String::from(js_sys::encode_uri_component(&file.name()));
    let url = format!("/files/clients/{client_id}?name={name}");
    if xhr.open("POST", &url).is_err() {
        return fail("the upload could not start".into());
    }
    let _ = xhr.set_request_header("Accept", "application/json");
    let progress = Closure::<dyn FnMut(ProgressEvent)>::new(move |e: ProgressEvent| {
        if e.length_computable() && e.total() > 0.0 {
            upload
                .progress
                .set((100.0 * e.loaded() / e.total()).min(100.0));
        }
    });
    if let Ok(target) = xhr.upload() {
        target.set_onprogress(Some(progress.as_ref().unchecked_ref()));
    }
    let done_xhr = xhr.clone();
    let notify = RefCell::new(Some(on_change));
    let finished = Closure::<dyn FnMut()>::new(move || {
        let status = done_xhr.status().unwrap_or(0);
        if status == 201 {
            upload.progress.set(100.0);
            upload.outcome.set(Some(Ok(())));
            if let Some(callback) = notify.borrow_mut().take() {
                callback.run(());
            }
        } else {
            upload
                .outcome
                .set(Some(Err(error_message(&done_xhr, status))));
        }
    });
    xhr.set_onloadend(Some(finished.as_ref().unchecked_ref()));
    let blob: &web_sys::Blob = &file;
    if xhr.send_with_opt_blob(Some(blob)).is_err() {
        return fail("the upload could not start".into());
    }
    // They live as long as the request; one pair per file uploaded.
    progress.forget();
    finished.forget();
}

#[cfg(not(feature = "hydrate"))]
fn send(_: Uuid, _: Picked, _: Upload, _: Callback<()>) {}

/// The `message` of the JSON error the server answered with.
#[cfg(feature = "hydrate")]
fn error_message(xhr: &web_sys::XmlHttpRequest, status: u16) -> String {
    let text = xhr.response_text().ok().flatten().unwrap_or_default();
    js_sys::JSON::parse(&text)
        .ok()
        .and_then(|v| js_sys::Reflect::get(&v, &"error".into()).ok())
        .and_then(|e| js_sys::Reflect::get(&e, &"message".into()).ok())
        .and_then(|m| m.as_string())
        .unwrap_or_else(|| {
            if status == 0 {
                "the connection was lost; try again".into()
            } else {
                format!("the upload failed (HTTP {status})")
            }
        })
}
