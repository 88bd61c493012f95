//! Scenario files: YAML → validated [`plan::Plan`] or diagnostics with
//! file:line:column. The only module that parses YAML.

pub mod plan;
