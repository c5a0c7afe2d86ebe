pub mod files;
pub mod forms;
pub mod time;
