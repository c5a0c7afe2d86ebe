//! The team: members and their roles, invitations.

use frontdesk::domain::roles::{Permission, Role};
use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    components::forms::{error_of, invalid, FieldError, FormError},
    fns::team::{load_team, ChangeRole, Invite, RemoveMember, RevokeInvitation},
    layout::use_me,
};

fn role_options(selected: Role, include_owner: bool) -> impl IntoView {
    Role::ALL
        .into_iter()
        .filter(move |r| include_owner || *r != Role::Owner)
        .map(move |r| view! { <option value=r.as_str() selected=r == selected>{r.as_str()}</option> })
        .collect_view()
}

#[component]
pub fn TeamPage() -> impl IntoView {
    let me = use_me();
    let invite = ServerAction::<Invite>::new();
    let change = ServerAction::<ChangeRole>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let revoke = ServerAction::<RevokeInvitation>::new();
    // A refused role change leaves its row as the person left it (the role
    // chosen, the box ticked): the team reloads only after a change that
    // went through.
    let changes = RwSignal::new(0u32);
    Effect::new(move |_| {
        if matches!(change.value().get(), Some(Ok(_))) {
            changes.update(|n| *n += 1);
        }
    });
    let team = Resource::new(
        move || {
            (
                invite.version().get(),
                changes.get(),
                remove.version().get(),
                revoke.version().get(),
            )
        },
        |_| load_team(),
    );
    let invite_error = error_of(invite.value());
    let change_error = Signal::derive(move || {
        change
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| remove.value().get().and_then(|r| r.err()))
    });

    view! {
        <Title text="Team" />
        <h1>"Team"</h1>
        <Suspense fallback=|| view! { <p>"Loading the team…"</p> }>
            {move || Suspend::new(async move {
                let me = me.await.ok().flatten();
                let my_role = me.as_ref().map(|m| m.role());
                let my_id = me.map(|m| m.user_id);
                let manages = my_role.is_some_and(|r| r.allows(Permission::ManageTeam));
                let is_owner = my_role == Some(Role::Owner);
                match team.await {
                    Err(e) => view! { <p class="form-error" role="alert">{e.message}</p> }.into_any(),
                    Ok(team) => view! {
                        <FormError error=change_error />
                        <table class="table" aria-label="Members">
                            <thead><tr><th>"Name"</th><th>"Email"</th><th>"Role"</th>{manages.then(|| view! { <th>"Actions"</th> })}</tr></thead>
                            <tbody>
                                {team.members.into_iter().map(|m| {
                                    let mine = my_id == Some(m.user_id);
                                    let remove_label = format!("Remove {}", m.name);
                                    view! {
                                    <tr data-member=m.email.clone()>
                                        <td>{m.name.clone()}{mine.then(|| view! { <span class="muted">" (you)"</span> })}</td>
                                        <td>{m.email.clone()}</td>
                                        <td class="role">{m.role.as_str()}</td>
                                        {manages.then(|| view! {
                                            <td class="row-actions">
                                                <ActionForm action=change attr:class="inline">
                                                    <input type="hidden" name="user" value=m.user_id.to_string() />
                                                    <label class="visually-hidden" for=format!("role-{}", m.user_id)>{format!("Role of {}", m.name)}</label>
                                                    <select id=format!("role-{}", m.user_id) name="role">{role_options(m.role, is_owner)}</select>
                                                    // One's own role is the one change that can lock one out: it asks first.
                                                    {mine.then(|| view! {
                                                        <label class="check"><input type="checkbox" name="confirm" value="yes" aria-invalid=invalid(change_error, "confirm") />" I give up my current rights"</label>
                                                        <FieldError error=change_error field="confirm" />
                                                    })}
                                                    <button type="submit">"Change role"</button>
                                                </ActionForm>
                                                {(!mine).then(|| view! {
                                                    <ActionForm action=remove attr:class="inline">
                                                        <input type="hidden" name="user" value=m.user_id.to_string() />
                                                        <button type="submit" class="danger" aria-label=remove_label.clone()>"Remove"</button>
                                                    </ActionForm>
                                                })}
                                            </td>
                                        })}
                                    </tr>
                                }}).collect_view()}
                            </tbody>
                        </table>
                        {manages.then(|| view! {
                            <h2>"Pending invitations"</h2>
                            {if team.invitations.is_empty() {
                                view! { <p class="muted">"No pending invitations."</p> }.into_any()
                            } else {
                                view! {
                                    <ul class="list">
                                        {team.invitations.into_iter().map(|i| view! {
                                            <li data-invitation=i.email.clone()>
                                                {format!("{} as {}, until {}", i.email, i.role, i.expires_at.format("%Y-%m-%d"))}
                                                <ActionForm action=revoke attr:class="inline">
                                                    <input type="hidden" name="invitation" value=i.id.to_string() />
                                                    <button type="submit">"Revoke"</button>
                                                </ActionForm>
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                }.into_any()
                            }}
                        })}
                    }.into_any(),
                }
            })}
        </Suspense>
        <Suspense>
            {move || Suspend::new(async move {
                let my_role = me.await.ok().flatten().map(|m| m.role());
                my_role.filter(|r| r.allows(Permission::ManageTeam)).map(|role| view! {
                    <h2>"Invite a colleague"</h2>
                    <ActionForm action=invite attr:class="stack narrow" attr:novalidate="">
                        <FormError error=invite_error />
                        <label for="invite-email">"Email"</label>
                        <input id="invite-email" name="email" type="email" required aria-invalid=invalid(invite_error, "email") />
                        <FieldError error=invite_error field="email" />
                        <label for="invite-role">"Role"</label>
                        <select id="invite-role" name="role">{role_options(Role::Staff, role == Role::Owner)}</select>
                        <FieldError error=invite_error field="role" />
                        <button type="submit" class="primary">"Send invitation"</button>
                        {move || invite.value().get().and_then(|r| r.ok()).map(|i| view! {
                            <p class="notice" role="status">{format!("Invitation sent to {}.", i.email)}</p>
                        })}
                    </ActionForm>
                })
            })}
        </Suspense>
    }
}
