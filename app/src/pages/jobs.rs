//! Settings > Background jobs (owners and admins): the business's jobs by
//! status and kind, failures, dead jobs to retry or discard, and the
//! schedules. And the development outbox.

use frontdesk::domain::{
    background::{JobView, ScheduleView},
    live::Topic,
    time_format::Clock,
};
use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    components::time::session_clock,
    fns::background::{dev_outbox, load_jobs, DiscardJob, RetryJob},
    layout::use_me,
    live::use_live,
};

#[component]
pub fn JobsPage() -> impl IntoView {
    let me = use_me();
    let retry = ServerAction::<RetryJob>::new();
    let discard = ServerAction::<DiscardJob>::new();
    let live = use_live();
    let overview = Resource::new(
        move || {
            (
                retry.version().get(),
                discard.version().get(),
                live.version(Topic::Jobs),
            )
        },
        |_| load_jobs(),
    );
    view! {
        <Title text="Background jobs" />
        <h1>"Background jobs"</h1>
        {move || retry.value().get().or_else(|| discard.value().get()).and_then(Result::err).map(|e| view! {
            <p class="form-error" role="alert">{e.message}</p>
        })}
        <Transition fallback=|| view! { <p>"Loading the jobs…"</p> }>
            {move || Suspend::new(async move {
                let clock = session_clock(me.await.ok().flatten().as_ref());
                match overview.await {
                    Err(e) => view! { <p class="form-error" role="alert">{e.message}</p> }.into_any(),
                    Ok(o) => {
                        let overdue: Vec<String> = o.schedules.iter().filter(|s| s.overdue).map(|s| s.name.clone()).collect();
                        view! {
                            {(!overdue.is_empty()).then(|| view! {
                                <p class="banner warning" role="alert" data-testid="schedules-overdue">
                                    {format!("Schedules have not run for longer than twice their interval: {}. Check that a Frontdesk server or worker is running.", overdue.join(", "))}
                                </p>
                            })}
                            <h2>"Schedules"</h2>
                            <Schedules schedules=o.schedules.clone() clock />
                            <h2>"Jobs by kind"</h2>
                            {if o.counts.is_empty() {
                                view! { <p class="muted">"No jobs yet."</p> }.into_any()
                            } else {
                                view! {
                                    <table class="table" aria-label="Jobs by kind and status">
                                        <thead><tr><th>"Kind"</th><th>"Status"</th><th>"Jobs"</th></tr></thead>
                                        <tbody>{o.counts.iter().map(|c| view! {
                                            <tr data-kind=c.kind.clone() data-status=c.status.clone()>
                                                <td>{c.kind.clone()}</td><td>{c.status.clone()}</td><td>{c.count}</td>
                                            </tr>
                                        }).collect_view()}</tbody>
                                    </table>
                                }.into_any()
                            }}
                            <h2>"Retrying"</h2>
                            <Jobs jobs=o.failing.clone() clock actions=None />
                            <h2>"Dead"</h2>
                            <p class="muted">"Jobs that failed on every attempt. Retry them once the cause is fixed, or discard them."</p>
                            <Jobs jobs=o.dead.clone() clock actions=Some((retry, discard)) />
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn Schedules(schedules: Vec<ScheduleView>, clock: Clock) -> impl IntoView {
    view! {
        <table class="table" aria-label="Schedules">
            <thead><tr><th>"Schedule"</th><th>"When"</th><th>"Last run"</th><th>"Next run"</th></tr></thead>
            <tbody>{schedules.into_iter().map(|s| view! {
                <tr data-schedule=s.name.clone() class:overdue=s.overdue>
                    <td>{s.name.clone()}</td>
                    <td><code>{s.cron.clone()}</code></td>
                    <td>{s.last_run.map(|t| clock.date_time(t)).unwrap_or_else(|| "never".into())}</td>
                    <td>{s.next_run.map(|t| clock.date_time(t)).unwrap_or_default()}</td>
                </tr>
            }).collect_view()}</tbody>
        </table>
    }
}

type Actions = Option<(ServerAction<RetryJob>, ServerAction<DiscardJob>)>;

#[component]
fn Jobs(jobs: Vec<JobView>, clock: Clock, actions: Actions) -> impl IntoView {
    if jobs.is_empty() {
        return view! { <p class="muted">"None."</p> }.into_any();
    }
    view! {
        <table class="table" aria-label="Jobs">
            <thead><tr><th>"Kind"</th><th>"Attempts"</th><th>"Last error"</th><th>"Changed"</th><th></th></tr></thead>
            <tbody>{jobs.into_iter().map(|j| {
                let id = j.id;
                view! {
                    <tr data-job=j.id.to_string()>
                        <td>{j.kind.clone()}</td>
                        <td>{format!("{} of {}", j.attempts, j.max_attempts)}</td>
                        <td class="error-text">{j.last_error.clone().unwrap_or_default()}</td>
                        <td>{clock.date_time(j.updated_at)}</td>
                        <td>{actions.map(|(retry, discard)| view! {
                            <button type="button" on:click=move |_| { retry.dispatch(RetryJob { id }); }>"Retry"</button>
                            <button type="button" class="danger" on:click=move |_| { discard.dispatch(DiscardJob { id }); }>"Discard"</button>
                        })}</td>
                    </tr>
                }
            }).collect_view()}</tbody>
        </table>
    }
    .into_any()
}

/// The development outbox: what the app would have emailed.
#[component]
pub fn OutboxPage() -> impl IntoView {
    let messages = Resource::new(|| (), |_| dev_outbox());
    view! {
        <Title text="Outbox" />
        <h1>"Outbox"</h1>
        <p class="muted">"In development, email is written here instead of being sent."</p>
        <Transition fallback=|| view! { <p>"Loading the outbox…"</p> }>
            {move || Suspend::new(async move {
                match messages.await {
                    Err(e) => view! { <p class="form-error" role="alert">{e.message}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="muted">"No messages yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <ul class="outbox" aria-label="Messages">{list.into_iter().map(|m| view! {
                            <li data-message=m.id.clone()>
                                <details>
                                    <summary>
                                        <strong class="subject">{m.subject.clone()}</strong>
                                        " to "<span class="to">{m.to.clone()}</span>
                                        " · "<span class="muted">{m.date.clone()}</span>
                                    </summary>
                                    <pre class="message-text">{m.text.clone()}</pre>
                                    {(!m.attachments.is_empty()).then(|| view! {
                                        <p class="muted">{format!("Attached: {}", m.attachments.join(", "))}</p>
                                    })}
                                </details>
                            </li>
                        }).collect_view()}</ul>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
