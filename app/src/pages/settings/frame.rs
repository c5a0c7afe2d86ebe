//! The frame around every settings page: a side navigation over the
//! settings areas a person's role may open, beside the page itself.

use frontdesk::domain::roles::{Permission, Role};
use leptos::prelude::*;
use leptos_router::{components::Outlet, hooks::use_location};

use crate::layout::use_me;

/// One settings area: where it is, and what a role needs to open it.
struct Area {
    href: &'static str,
    title: &'static str,
    needs: Option<Permission>,
}

const AREAS: [Area; 10] = [
    Area {
        href: "/settings",
        title: "Business",
        needs: None,
    },
    Area {
        href: "/settings/services",
        title: "Services",
        needs: None,
    },
    Area {
        href: "/settings/providers",
        title: "Providers",
        needs: None,
    },
    Area {
        href: "/settings/resources",
        title: "Resources",
        needs: None,
    },
    Area {
        href: "/team",
        title: "Team",
        needs: None,
    },
    Area {
        href: "/profile",
        title: "Your profile",
        needs: None,
    },
    Area {
        href: "/settings/audit-log",
        title: "Audit log",
        needs: Some(Permission::ReadAuditLog),
    },
    Area {
        href: "/settings/api-keys",
        title: "API keys",
        needs: Some(Permission::ManageApiKeys),
    },
    Area {
        href: "/settings/mailboxes",
        title: "Mailboxes",
        needs: Some(Permission::ManageSettings),
    },
    Area {
        href: "/settings/jobs",
        title: "Background jobs",
        needs: Some(Permission::ManageSettings),
    },
];

fn opens(role: Role, area: &Area) -> bool {
    area.needs.is_none_or(|p| role.allows(p))
}

#[component]
pub fn SettingsFrame() -> impl IntoView {
    let me = use_me();
    let pathname = use_location().pathname;
    view! {
        <div class="settings-frame">
            <nav class="settings-nav" aria-label="Settings">
                <Suspense>
                    {move || Suspend::new(async move {
                        let role = me.await.ok().flatten().map(|m| m.role());
                        view! {
                            <ul>
                                {AREAS.iter()
                                    .filter(|a| role.is_some_and(|r| opens(r, a)))
                                    .map(|a| view! {
                                        <li><a href=a.href aria-current=move || (pathname.read().trim_end_matches('/') == a.href).then_some("page")>{a.title}</a></li>
                                    })
                                    .collect_view()}
                            </ul>
                        }
                    })}
                </Suspense>
            </nav>
            <div class="settings-page">
                <Outlet />
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reader_sees_no_area_it_cannot_open() {
        let reader: Vec<_> = AREAS
            .iter()
            .filter(|a| opens(Role::Reader, a))
            .map(|a| a.title)
            .collect();
        assert!(!reader.contains(&"API keys") && !reader.contains(&"Background jobs"));
        assert!(AREAS.iter().all(|a| opens(Role::Owner, a)));
    }
}
