//! System tests: the real ingest and publisher against a real PostgreSQL
//! and a real Mosquitto, and the dashboard in a real Chromium.
//! Run them with `deploy/test.sh`, which provisions all three.

#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub)]
// The helpers are shared with the fault tests, which use more of them.
#![allow(dead_code)]

mod aggregate_versions;
mod alerts;
mod alerts_alarms;
mod alerts_console;
mod alerts_staff;
mod area_charts;
mod areas;
mod attack_broker;
mod attack_notices;
mod attack_sensors;
mod attack_web;
mod browser;
mod browser_budget;
mod browser_drinking;
mod browser_map;
mod charts;
mod cli;
mod demo;
mod deploy_broker;
mod deploy_broker_rabbitmq;
mod deploy_files;
mod drinking_live;
mod embeds;
mod forecasts;
mod helpers;
mod hj212;
mod indices;
mod ingest_flow;
mod ingest_store;
mod ingest_supervision;
mod lab_console;
mod lab_import;
mod lab_staff;
mod live_protocol;
mod metrics;
mod open_data;
mod openapi_document;
mod operations;
mod publisher_api;
mod radiation;
mod retention;
mod simulation;
mod stations_near;
mod stats;
mod stats_water;
mod subscriptions;
mod subscriptions_browser;
mod subscriptions_rules;
mod subscriptions_tls;
mod tls;
