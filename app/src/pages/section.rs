//! The landing page of an area whose tools are not set up yet.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::layout::Section;

#[component]
pub fn SectionPage(section: Section) -> impl IntoView {
    let hint = match section {
        Section::Calendar => "Appointments across providers and rooms will show here.",
        Section::Inbox => "Email conversations with clients will show here.",
        Section::Clients => "Client records and their files will show here.",
        Section::Settings | Section::Dashboard => "",
    };
    view! {
        <Title text=section.title() />
        <h1>{section.title()}</h1>
        <p class="muted">{hint}</p>
    }
}
