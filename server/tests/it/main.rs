//! The server's integration tests, in one binary: each module drives the
//! real router over HTTP against the real PostgreSQL (and Redis, SMTP, S3
//! where named), with a fresh database per test made from a template.

mod support;

mod accounts;
mod api_contract;
mod appointments;
mod audit_log;
mod auto_block;
mod cli;
mod client_files;
mod clients;
mod cross_tenant;
mod dashboard;
mod double_booking;
mod email_verification;
mod error_tracking;
mod hardening;
mod http;
mod inbox_regroup;
mod inbox_sync;
mod job_queue;
mod jobs_page;
mod live_updates;
mod metrics;
mod permissions;
mod reminders;
mod rest_appointments;
mod rest_catalog;
mod rest_clients;
mod s3_storage;
mod schedules;
mod series;
mod session_cache;
mod shared_cache;
mod shared_limits;
mod storage_cli;
mod stored_enums;
mod tenant_isolation;
mod tools;
mod two_factor;
mod unit_of_work;
mod user_sessions;
