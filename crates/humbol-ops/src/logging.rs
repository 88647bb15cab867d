//! The process's logger (env_logger, filtered by `RUST_LOG`, default `info`), in the format of
//! `HUMBOL_LOG_FORMAT`: env_logger's usual lines for `text`; for `json`, every line one JSON object
//! (`ts`, `level`, `target`, then the request log's fields for [`crate::ACCESS_TARGET`], else `message`), so
//! that a log shipper reads each line as it is.

use std::io::Write;

use humbol_config::parse::{self, LogFormat};
use humbol_config::{vars, Env};

/// The format `HUMBOL_LOG_FORMAT` asks for; an invalid value falls back to `text` here (the configuration,
/// read next, refuses it with a clear message).
fn format_from_env() -> LogFormat {
    let lookup = |name: &str| std::env::var(name).ok();
    Env::new(&lookup)
        .require(&vars::LOG_FORMAT, parse::log_format)
        .unwrap_or(LogFormat::Text)
}

/// Installs the logger (once per process; later calls do nothing).
pub fn init() {
    let mut builder =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"));
    if format_from_env() == LogFormat::Json {
        builder.format(|buf, record| {
            let ts = buf.timestamp_micros();
            let head = serde_json::json!({
                "ts": ts.to_string(),
                "level": record.level().as_str(),
                "target": record.target(),
            })
            .to_string();
            let message = record.args().to_string();
            // The request log's message is already a JSON object: its fields join the line's.
            match message.strip_prefix('{') {
                Some(fields) if record.target() == crate::ACCESS_TARGET => {
                    writeln!(buf, "{},{fields}", head.trim_end_matches('}'))
                }
                _ => {
                    let message = serde_json::Value::String(message).to_string();
                    writeln!(
                        buf,
                        "{},\"message\":{message}}}",
                        head.trim_end_matches('}')
                    )
                }
            }
        });
    }
    // A second call (e.g. tests) keeps the first logger.
    let _ = builder.try_init();
}
