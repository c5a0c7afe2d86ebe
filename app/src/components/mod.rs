pub mod files;
pub mod forms;
pub mod reminder;
pub mod time;
