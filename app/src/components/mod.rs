pub mod files;
pub mod focus;
pub mod forms;
pub mod modal;
pub mod reminder;
pub mod search;
pub mod shortcuts;
pub mod time;
