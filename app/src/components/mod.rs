pub mod forms;
pub mod time;
