//! Settings for what the business offers: services, providers with their
//! working hours, and resources. Each row is edited in place: its Edit link
//! (`?edit=<id>`) turns the row into its form, so editing also works before
//! the page is live and survives a reload. Every form is a plain form.

mod hours;
mod providers;
mod resources;
mod services;

pub use providers::ProvidersPage;
pub use resources::ResourcesPage;
pub use services::ServicesPage;

use leptos::prelude::*;
use leptos_router::{
    hooks::{use_navigate, use_query_map},
    NavigateOptions,
};
use uuid::Uuid;

use crate::{components::focus::focus_id, errors::UiError, fns::catalog::ArchiveItem};

fn archive_button(
    archive: ServerAction<ArchiveItem>,
    kind: &'static str,
    id: Uuid,
    name: &str,
) -> impl IntoView {
    let label = format!("Archive {name}");
    view! {
        <ActionForm action=archive attr:class="inline">
            <input type="hidden" name="kind" value=kind />
            <input type="hidden" name="id" value=id.to_string() />
            <button type="submit" class="danger" aria-label=label>"Archive"</button>
        </ActionForm>
    }
}

fn failure(e: UiError) -> AnyView {
    view! { <p class="form-error" role="alert">{e.message}</p> }.into_any()
}

/// Goes to an address inside the app. Shared across threads: the server
/// renders on several, and a page's values may be dropped on another.
type Go = std::sync::Arc<dyn Fn(&str) + Send + Sync>;

/// The row being edited on the page at `path`, from `?edit=<id>`.
#[derive(Clone, Copy)]
struct Editing {
    path: &'static str,
    row: Memo<Option<Uuid>>,
    go: StoredValue<Go>,
}

impl Editing {
    /// Follows the address; the row closes when `saved` counts one more.
    fn new(path: &'static str, saved: ReadSignal<usize>) -> Self {
        let query = use_query_map();
        let row = Memo::new(move |_| query.read().get("edit").and_then(|e| e.parse().ok()));
        let navigate = use_navigate();
        let go: Go = std::sync::Arc::new(move |to: &str| navigate(to, NavigateOptions::default()));
        let editing = Editing {
            path,
            row,
            go: StoredValue::new(go),
        };
        Effect::new(move |before: Option<usize>| {
            let now = saved.get();
            if before.is_some_and(|b| b != now) && row.get_untracked().is_some() {
                editing.close();
            }
            now
        });
        editing
    }

    fn is(&self, id: Uuid) -> bool {
        self.row.get() == Some(id)
    }

    fn open_href(&self, id: Uuid) -> String {
        format!("{}?edit={id}", self.path)
    }

    fn close(&self) {
        let path = self.path;
        self.go.with_value(|go| go(path));
    }

    /// Esc inside the row's form closes it unsaved.
    fn on_escape(self) -> impl Fn(leptos::ev::KeyboardEvent) + Clone + 'static {
        move |ev: leptos::ev::KeyboardEvent| {
            if ev.key() == "Escape" {
                ev.prevent_default();
                self.close();
            }
        }
    }

    /// Puts the cursor in the row's first field when the row opens.
    fn focus_first_field(self, field_id: impl Fn(Uuid) -> String + 'static) {
        Effect::new(move |_| {
            if let Some(id) = self.row.get() {
                focus_id(&field_id(id));
            }
        });
    }
}

/// Counts an action's successful runs. Lists reload after a save, not after
/// a refused one, which would put back the values being corrected.
fn successes<T: 'static, E: 'static>(
    version: RwSignal<usize>,
    value: impl WithUntracked<Value = Option<Result<T, E>>> + 'static,
) -> ReadSignal<usize> {
    let count = RwSignal::new(0);
    Effect::new(move |before: Option<usize>| {
        let now = version.get();
        let ok = value.with_untracked(|v| matches!(v, Some(Ok(_))));
        if before.is_some_and(|b| b != now) && ok {
            count.update(|c| *c += 1);
        }
        now
    });
    count.read_only()
}

/// The links that open and close a row.
fn edit_link(editing: Editing, id: Uuid, name: &str) -> impl IntoView {
    let label = format!("Edit {name}");
    view! { <a class="button" href=editing.open_href(id) aria-label=label>"Edit"</a> }
}

fn cancel_link(editing: Editing) -> impl IntoView {
    view! { <a class="button" href=editing.path>"Cancel"</a> }
}
