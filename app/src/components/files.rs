//! A client's files: drop or choose files to upload (each with its progress
//! bar), the list with preview, download and delete.

use frontdesk::domain::{files::human_size, time_format::Clock, views::ClientFileView};
use leptos::prelude::*;
use uuid::Uuid;

use crate::fns::files::DeleteClientFile;

/// One upload in progress or finished, shown above the list.
#[derive(Clone, PartialEq)]
pub struct Upload {
    pub key: u32,
    pub name: String,
    /// Percent sent.
    pub progress: f64,
    /// `None` while sending; the server's message when it failed.
    pub outcome: Option<Result<(), String>>,
}

/// Uploads live above the page's data (plain values in one signal of the
/// page), so refreshing the list after one finishes loses nothing.
#[derive(Clone, Copy)]
pub struct Uploads {
    items: RwSignal<Vec<Upload>>,
    next: StoredValue<u32>,
}

impl Uploads {
    pub fn new() -> Self {
        Self {
            items: RwSignal::new(Vec::new()),
            next: StoredValue::new(0),
        }
    }

    fn add(self, name: String) -> u32 {
        let key = self.next.get_value();
        self.next.set_value(key + 1);
        self.items.update(|items| {
            items.push(Upload {
                key,
                name,
                progress: 0.0,
                outcome: None,
            })
        });
        key
    }

    fn read<T>(self, key: u32, f: impl FnOnce(&Upload) -> T) -> Option<T> {
        self.items
            .with(|items| items.iter().find(|u| u.key == key).map(f))
    }

    /// Changes one upload; the browser's upload events call this.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn change(self, key: u32, f: impl FnOnce(&mut Upload)) {
        self.items.update(|items| {
            if let Some(upload) = items.iter_mut().find(|u| u.key == key) {
                f(upload);
            }
        });
    }

    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn progress(self, key: u32, percent: f64) {
        self.change(key, |u| u.progress = percent.min(100.0));
    }

    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn finish(self, key: u32, outcome: Result<(), String>) {
        self.change(key, |u| {
            if outcome.is_ok() {
                u.progress = 100.0;
            }
            u.outcome = Some(outcome);
        });
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
    clock: Clock,
    can_upload: bool,
    can_delete: bool,
    uploads: Uploads,
    /// Called when the list changed (an upload finished, a file was deleted).
    on_change: Callback<()>,
    delete: ServerAction<DeleteClientFile>,
) -> impl IntoView {
    let preview = RwSignal::new(None::<Uuid>);
    let empty = files.is_empty();

    view! {
        <section class="files" aria-labelledby="files-heading">
            <h2 id="files-heading">"Files"</h2>
            {can_upload.then(|| view! { <FileUpload client_id uploads on_change /> })}
            {if empty {
                view! { <p class="muted">"No files yet."</p> }.into_any()
            } else {
                view! {
                    <table class="file-list">
                        <thead><tr><th>"Name"</th><th>"Size"</th><th>"Type"</th><th>"Uploaded by"</th><th>"Date"</th><th><span class="visually-hidden">"Actions"</span></th></tr></thead>
                        <tbody>
                            {files.into_iter().map(|f| file_row(f, clock, can_delete, preview, delete)).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

/// A drop zone and file picker that uploads to a client's files, with each
/// upload's progress below it.
#[component]
pub fn FileUpload(
    client_id: Uuid,
    uploads: Uploads,
    /// Called when an upload finished.
    on_change: Callback<()>,
) -> AnyView {
    let dragging = RwSignal::new(false);
    let start = move |picked: Vec<Picked>| {
        for file in picked {
            let key = uploads.add(file.name());
            send(client_id, file, uploads, key, on_change);
        }
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        start(dropped(&ev));
    };
    let on_pick = move |ev: leptos::ev::Event| start(chosen(&ev));
    view! {
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
        <ul class="uploads" aria-label="Uploads">
            <For each=move || uploads.items.with(|items| items.iter().map(|u| u.key).collect::<Vec<_>>()) key=|key| *key let:key>
                {
                    let name = uploads.read(key, |u| u.name.clone()).unwrap_or_default();
                    let progress = move || uploads.read(key, |u| u.progress).unwrap_or(0.0);
                    let outcome = move || uploads.read(key, |u| u.outcome.clone()).flatten();
                    view! {
                        <li class="upload" data-state=move || match outcome() { None => "sending", Some(Ok(())) => "done", Some(Err(_)) => "failed" }>
                            <span class="name">{name.clone()}</span>
                            <progress max="100" value=progress aria-label=format!("Uploading {name}")></progress>
                            <span class="state">{move || match outcome() {
                                None => format!("{:.0}%", progress()),
                                Some(Ok(())) => "Uploaded".into(),
                                Some(Err(e)) => e,
                            }}</span>
                        </li>
                    }
                }
            </For>
        </ul>
    }
    .into_any()
}

fn file_row(
    f: ClientFileView,
    clock: Clock,
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
            <td><time datetime=f.uploaded_at.to_rfc3339()>{clock.date_time(f.uploaded_at)}</time></td>
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
fn send(client_id: Uuid, file: Picked, uploads: Uploads, key: u32, on_change: Callback<()>) {
    use std::cell::RefCell;
    use wasm_bindgen::{closure::Closure, JsCast};
    use web_sys::{ProgressEvent, XmlHttpRequest};

    let fail = move |message: String| uploads.finish(key, Err(message));
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
            uploads.progress(key, 100.0 * e.loaded() / e.total());
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
            uploads.finish(key, Ok(()));
            if let Some(callback) = notify.borrow_mut().take() {
                callback.run(());
            }
        } else {
            uploads.finish(key, Err(error_message(&done_xhr, status)));
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
fn send(_: Uuid, _: Picked, _: Uploads, _: u32, _: Callback<()>) {}

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
