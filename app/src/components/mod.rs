pub mod forms;
