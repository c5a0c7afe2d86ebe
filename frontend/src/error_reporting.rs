//! Reports the page's JavaScript errors, unhandled promise rejections and
//! panics of the app to the server's tunnel (`POST /api/browser-errors`),
//! as Sentry envelopes for the DSN the page names in
//! `<meta name="error-reporting">`. Without that tag nothing is reported.
//!
//! Reports go by `navigator.sendBeacon`, which the browser delivers even
//! while the page unloads or after the app has stopped on a panic.

use std::{
    cell::RefCell,
    sync::atomic::{AtomicBool, Ordering},
};

use serde_json::{json, Value};
use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use web_sys::{ErrorEvent, Event, PromiseRejectionEvent};

const TUNNEL: &str = "/api/browser-errors";

/// A page that keeps failing stops reporting after this many.
const MAX_REPORTS: usize = 10;

/// What the page's tag says.
struct Settings {
    dsn: String,
    release: String,
    environment: String,
}

thread_local! {
    static SETTINGS: RefCell<Option<Settings>> = const { RefCell::new(None) };
    /// What was reported, to send each distinct error once.
    static SENT: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Set by the panic hook: the trap that follows a panic reaches the page's
/// error handler too, and is the same failure.
static PANICKED: AtomicBool = AtomicBool::new(false);

/// Reads the page's settings and starts listening; returns whether
/// reporting is on.
pub fn install() -> bool {
    let Some(settings) = settings() else {
        return false;
    };
    SETTINGS.with(|s| *s.borrow_mut() = Some(settings));
    let window = web_sys::window().expect("a window");
    let on_error = Closure::<dyn Fn(Event)>::new(|event: Event| {
        if let Some(event) = event.dyn_ref::<ErrorEvent>() {
            on_error(event);
        }
    });
    let on_rejection = Closure::<dyn Fn(Event)>::new(|event: Event| {
        if let Some(event) = event.dyn_ref::<PromiseRejectionEvent>() {
            on_rejection(event);
        }
    });
    for (name, handler) in [("error", &on_error), ("unhandledrejection", &on_rejection)] {
        let _ = window.add_event_listener_with_callback(name, handler.as_ref().unchecked_ref());
    }
    // They listen for the page's lifetime.
    on_error.forget();
    on_rejection.forget();
    true
}

fn settings() -> Option<Settings> {
    let tag = web_sys::window()?
        .document()?
        .query_selector("meta[name=error-reporting]")
        .ok()??;
    Some(Settings {
        dsn: tag.get_attribute("content").filter(|d| !d.is_empty())?,
        release: tag.get_attribute("data-release").unwrap_or_default(),
        environment: tag.get_attribute("data-environment").unwrap_or_default(),
    })
}

/// The panic hook's part: one fatal event with the panic's message and place.
pub fn report_panic(info: &std::panic::PanicHookInfo<'_>) {
    PANICKED.store(true, Ordering::SeqCst);
    let message = match info.payload().downcast_ref::<&str>() {
        Some(text) => (*text).to_string(),
        None => info
            .payload()
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_else(|| "panic".into()),
    };
    let mut frames = frames(&stack_of(&js_sys::Error::new("")));
    if let Some(at) = info.location() {
        frames.push(json!({ "filename": at.file(), "lineno": at.line(), "colno": at.column(), "in_app": true }));
    }
    send("panic", "fatal", "panic", &message, frames);
}

fn on_error(event: &ErrorEvent) {
    if PANICKED.load(Ordering::SeqCst) {
        return;
    }
    let error = event.error();
    let message = event.message();
    // A script of another origin: the browser hides everything about it.
    if error.is_null() && message.starts_with("Script error") {
        return;
    }
    let (ty, value, stack) = describe(&error, message);
    send("error", "error", &ty, &value, frames(&stack));
}

fn on_rejection(event: &PromiseRejectionEvent) {
    if PANICKED.load(Ordering::SeqCst) {
        return;
    }
    let (ty, value, stack) = describe(&event.reason(), String::new());
    send("unhandledrejection", "error", &ty, &value, frames(&stack));
}

/// The type, message and stack of a thrown value (an `Error` or anything else).
fn describe(thrown: &JsValue, fallback: String) -> (String, String, String) {
    match thrown.dyn_ref::<js_sys::Error>() {
        Some(error) => (error.name().into(), error.message().into(), stack_of(error)),
        None => {
            let text = thrown
                .as_string()
                .or_else(|| js_sys::JSON::stringify(thrown).ok().map(String::from))
                .filter(|t| !t.is_empty())
                .unwrap_or(fallback);
            ("Error".into(), text, String::new())
        }
    }
}

/// `error.stack`, which every browser sets but no standard defines.
fn stack_of(error: &JsValue) -> String {
    js_sys::Reflect::get(error, &JsValue::from_str("stack"))
        .ok()
        .and_then(|stack| stack.as_string())
        .unwrap_or_default()
}

/// The frames of a stack as Chromium (`at f (url:1:2)`) or Firefox
/// (`f@url:1:2`) writes it, the oldest first as Sentry wants them.
fn frames(stack: &str) -> Vec<Value> {
    let mut frames: Vec<Value> = stack
        .lines()
        .filter_map(|line| {
            let line = line.trim();
            let (function, place) = match line.strip_prefix("at ") {
                Some(rest) => match rest.strip_suffix(')').and_then(|r| r.rsplit_once(" (")) {
                    Some((function, place)) => (function, place),
                    None => ("?", rest),
                },
                None => line.rsplit_once('@')?,
            };
            let mut parts = place.rsplitn(3, ':');
            let column = parts.next()?.parse::<u64>().ok()?;
            let line_number = parts.next()?.parse::<u64>().ok()?;
            let file = parts.next()?;
            Some(json!({
                "function": if function.is_empty() { "?" } else { function },
                "filename": file,
                "lineno": line_number,
                "colno": column,
            }))
        })
        .collect();
    frames.reverse();
    frames
}

/// The route of the page: its path with ids as `{id}`, as the server names
/// its own routes; never the query, which may carry search terms.
fn route() -> String {
    let path = web_sys::window()
        .and_then(|w| w.location().pathname().ok())
        .unwrap_or_default();
    let segments: Vec<&str> = path
        .split('/')
        .map(|segment| {
            if uuid::Uuid::try_parse(segment).is_ok() {
                "{id}"
            } else {
                segment
            }
        })
        .collect();
    segments.join("/")
}

fn send(source: &str, level: &str, ty: &str, value: &str, frames: Vec<Value>) {
    let first_time = SENT.with(|sent| {
        let mut sent = sent.borrow_mut();
        let key = format!("{ty}: {value}");
        if sent.len() >= MAX_REPORTS || sent.contains(&key) {
            return false;
        }
        sent.push(key);
        true
    });
    if !first_time {
        return;
    }
    let route = route();
    let Some(body) = SETTINGS.with(|s| {
        let settings = s.borrow();
        let settings = settings.as_ref()?;
        let mut exception = json!({ "type": ty, "value": value });
        if !frames.is_empty() {
            exception["stacktrace"] = json!({ "frames": frames });
        }
        let event = json!({
            "platform": "javascript",
            "level": level,
            "timestamp": js_sys::Date::now() / 1000.0,
            "release": settings.release,
            "environment": settings.environment,
            "transaction": route,
            "tags": { "route": route, "source": source },
            "exception": { "values": [exception] },
        });
        Some(format!(
            "{}\n{{\"type\":\"event\"}}\n{event}\n",
            json!({ "dsn": settings.dsn })
        ))
    }) else {
        return;
    };
    if let Some(window) = web_sys::window() {
        let _ = window
            .navigator()
            .send_beacon_with_opt_str(TUNNEL, Some(&body));
    }
}
