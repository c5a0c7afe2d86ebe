//! Live updates in the page: one `EventSource` per tab on `/api/live`.
//!
//! Each topic has a version; a change bumps its topic's, "resync" bumps
//! all. Pages put the versions of what they show into their resources'
//! keys, so they refetch through their usual server functions and redraw
//! in place. While the stream is down a quiet note says so and every
//! version is bumped every [`POLL_SECS`]; when it is back the page resyncs.

use frontdesk::domain::live::Topic;
use leptos::prelude::*;

/// How often a page refreshes while its stream is down.
pub const POLL_SECS: u64 = 30;

/// The stream's state, as the note in the top bar tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub enum LiveState {
    /// Not started (on the server, before hydration).
    Idle,
    Live,
    /// Down: reconnecting, refreshing by polling meanwhile.
    Down,
}

#[derive(Clone, Copy)]
pub struct Live {
    versions: [RwSignal<u64>; Topic::ALL.len()],
    pub state: RwSignal<LiveState>,
}

impl Live {
    fn new() -> Self {
        Live {
            versions: std::array::from_fn(|_| RwSignal::new(0)),
            state: RwSignal::new(LiveState::Idle),
        }
    }

    fn index(topic: Topic) -> usize {
        Topic::ALL
            .iter()
            .position(|t| *t == topic)
            .expect("every topic is listed")
    }

    /// The version of `topic` (tracked: a resource keyed on it refetches
    /// when it changes).
    pub fn version(&self, topic: Topic) -> u64 {
        self.versions[Self::index(topic)].get()
    }

    /// The sum of the versions of `topics`: one key for a page that shows several.
    pub fn versions(&self, topics: &[Topic]) -> u64 {
        topics.iter().map(|t| self.version(*t)).sum()
    }

    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn bump(&self, topic: Topic) {
        self.versions[Self::index(topic)].update(|v| *v += 1);
    }

    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn bump_all(&self) {
        for topic in Topic::ALL {
            self.bump(topic);
        }
    }
}

impl Live {
    /// A key for a resource whose view holds forms: it follows `topics`,
    /// but while the person is working in the page (focus in a text field,
    /// unsent text in a text area, an open disclosure) changes
    /// wait, and `waiting` says so; they apply once that stops.
    pub fn held(&self, topics: &'static [Topic]) -> Held {
        let live = *self;
        // From the versions as they are now: a page opened after changes
        // were seen has nothing to catch up on.
        let now = untrack(|| live.versions(topics));
        let held = Held {
            applied: RwSignal::new(now),
            target: RwSignal::new(now),
            waiting: RwSignal::new(false),
        };
        Effect::new(move |_| {
            held.target.set(live.versions(topics));
            held.settle();
        });
        held
    }
}

/// See [`Live::held`].
#[derive(Clone, Copy)]
pub struct Held {
    applied: RwSignal<u64>,
    target: RwSignal<u64>,
    pub waiting: RwSignal<bool>,
}

impl Held {
    /// The key (tracked).
    pub fn key(&self) -> u64 {
        self.applied.get()
    }

    fn settle(self) {
        let target = self.target.get_untracked();
        if self.applied.get_untracked() == target {
            return;
        }
        if !typing() {
            self.waiting.set(false);
            self.applied.set(target);
        } else if !self.waiting.get_untracked() {
            // One wait at a time; it applies the latest target.
            self.waiting.set(true);
            #[cfg(feature = "hydrate")]
            set_timeout(
                move || {
                    self.waiting.set(false);
                    self.settle();
                },
                std::time::Duration::from_millis(1500),
            );
        }
    }
}

/// Whether the person is working in a form of the page's main area.
fn typing() -> bool {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return false;
        };
        let focused = document
            .query_selector("main :is(input:not([type=checkbox]):not([type=radio]):not([type=hidden]):not([type=submit]), textarea, select):focus")
            .ok()
            .flatten()
            .is_some();
        let unsent = document
            .query_selector_all("main textarea")
            .map(|all| {
                (0..all.length()).any(|i| {
                    all.item(i)
                        .and_then(|n| n.dyn_into::<web_sys::HtmlTextAreaElement>().ok())
                        .is_some_and(|t| !t.value().trim().is_empty())
                })
            })
            .unwrap_or(false);
        // An open disclosure: choosing files to attach, or a
        // conversation to merge into.
        let choosing = document
            .query_selector("main details[open]")
            .ok()
            .flatten()
            .is_some();
        focused || unsent || choosing
    }
    #[cfg(not(feature = "hydrate"))]
    false
}

/// The layout's live updates; outside the layout, versions that never change.
pub fn use_live() -> Live {
    use_context::<Live>().unwrap_or_else(Live::new)
}

/// Starts the tab's stream (in the browser) and offers it to every page.
pub fn provide_live() -> Live {
    let live = Live::new();
    provide_context(live);
    #[cfg(feature = "hydrate")]
    Effect::new(move |started: Option<()>| {
        if started.is_none() {
            stream::open(live);
        }
    });
    live
}

/// The quiet note shown while the page cannot follow changes as they happen.
#[component]
pub fn LiveNote() -> impl IntoView {
    let live = use_live();
    view! {
        <Show when=move || live.state.get() == LiveState::Down>
            <p class="live-note" role="status"
                title=format!("Changes by others show up every {POLL_SECS} seconds until the connection is back.")>
                <span aria-hidden="true">"● "</span>{format!("Offline: refreshing every {POLL_SECS} s")}
            </p>
        </Show>
    }
}

#[cfg(feature = "hydrate")]
mod stream {
    use std::time::Duration;

    use frontdesk::domain::live::{Change, EVENT_CHANGE, EVENT_RESYNC};
    use leptos::prelude::*;
    use wasm_bindgen::{closure::Closure, JsCast};
    use web_sys::{EventSource, MessageEvent};

    use super::{Live, LiveState, POLL_SECS};

    const PATH: &str = "/api/live";

    /// Opens the stream; the browser reconnects it by itself after a drop,
    /// this module after a refusal (a closed source).
    pub fn open(live: Live) {
        let Ok(source) = EventSource::new(PATH) else {
            live.state.set(LiveState::Down);
            return;
        };
        let on_change = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
            let data = event.data().as_string().unwrap_or_default();
            match serde_json::from_str::<Change>(&data) {
                Ok(change) => live.bump(change.topic),
                // A kind this page does not know: safest to reload.
                Err(_) => live.bump_all(),
            }
        });
        let on_resync = Closure::<dyn Fn(MessageEvent)>::new(move |_| live.bump_all());
        let on_open = Closure::<dyn Fn()>::new(move || {
            // Back after a gap: what was missed is not known.
            if live.state.get_untracked() == LiveState::Down {
                live.bump_all();
            }
            live.state.set(LiveState::Live);
        });
        let closed_source = source.clone();
        let on_error = Closure::<dyn Fn()>::new(move || {
            if live.state.get_untracked() != LiveState::Down {
                live.state.set(LiveState::Down);
                poll(live);
            }
            // Refused (signed out, too many tabs): try again later.
            if closed_source.ready_state() == EventSource::CLOSED {
                set_timeout(move || open(live), Duration::from_secs(POLL_SECS));
            }
        });
        let _ = source
            .add_event_listener_with_callback(EVENT_CHANGE, on_change.as_ref().unchecked_ref());
        let _ = source
            .add_event_listener_with_callback(EVENT_RESYNC, on_resync.as_ref().unchecked_ref());
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        // The source lives as long as the tab.
        on_change.forget();
        on_resync.forget();
        on_open.forget();
        on_error.forget();
    }

    /// Refreshes every page topic while the stream is down.
    fn poll(live: Live) {
        set_timeout(
            move || {
                if live.state.get_untracked() == LiveState::Down {
                    live.bump_all();
                    poll(live);
                }
            },
            Duration::from_secs(POLL_SECS),
        );
    }
}
