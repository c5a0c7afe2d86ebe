pub mod auth;
pub mod dashboard;
pub mod not_found;
pub mod profile;
pub mod section;
pub mod settings;
pub mod team;
