//! Pieces every form uses: the problem next to a field, the form's message.

use leptos::prelude::*;

use crate::errors::UiError;

/// The latest error of an action, for [`FieldError`] and [`FormError`].
pub fn error_of<S, T>(value: S) -> Signal<Option<UiError>>
where
    S: Get<Value = Option<Result<T, UiError>>> + Send + Sync + 'static,
{
    Signal::derive(move || value.get().and_then(|r| r.err()))
}

/// The problem with one field, announced by screen readers.
#[component]
pub fn FieldError(error: Signal<Option<UiError>>, field: &'static str) -> impl IntoView {
    move || {
        error.get().and_then(|e| e.field(field)).map(|message| {
            view! { <p class="field-error" id=format!("{field}-error") role="alert">{message}</p> }
        })
    }
}

/// The form's overall message when the problem is not one field's.
#[component]
pub fn FormError(error: Signal<Option<UiError>>) -> impl IntoView {
    move || {
        error
            .get()
            .filter(|e| e.fields.is_empty())
            .map(|e| view! { <p class="form-error" role="alert">{e.message}</p> })
    }
}

/// Every problem of a failed request, as sentences (for dialogs without per-field messages).
#[component]
pub fn Problems(error: UiError) -> impl IntoView {
    view! {
        <div class="form-error" role="alert">
            {error.sentences().into_iter().map(|s| view! { <p>{s}</p> }).collect_view()}
        </div>
    }
}

/// `aria-invalid` for an input whose field has a problem.
pub fn invalid(
    error: Signal<Option<UiError>>,
    field: &'static str,
) -> impl Fn() -> Option<&'static str> + Send + Sync + Copy {
    move || error.get().and_then(|e| e.field(field)).map(|_| "true")
}
