//! The landing page of an area whose tools are not set up yet.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::layout::Section;

#[component]
pub fn SectionPage(section: Section) -> impl IntoView {
    let hint = match section {
        Section::Inbox => "Email conversations with clients will show here.",
        Section::Calendar | Section::Clients | Section::Settings | Section::Dashboard => "",
    };
    view! {
        <Title text=section.title() />
        <h1>{section.title()}</h1>
        <p class="muted">{hint}</p>
    }
}
