pub mod files;
pub mod forms;
pub mod reminder;
pub mod search;
pub mod time;
