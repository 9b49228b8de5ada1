//! Delivery of alert events to a webhook (`ALERT_WEBHOOK_URL`): the robots of WeCom and DingTalk
//! take the same JSON text message. Events wait in `alert_outbox`, written with the alert's
//! change, so nothing is sent for a rolled-back import; each attempt is recorded in
//! `alert_delivery`, and a failed one is retried with exponential backoff up to a limit.

use crate::db::alerts::{self, Alert};
use crate::domain::monitoring::{WaterClass, china_time};
use chrono::Utc;
use serde_json::{Value, json};
use sqlx::PgPool;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct WebhookConfig {
    pub url: String,
    /// attempts per event, the first included
    pub max_attempts: i32,
    /// the wait after the first failure; each further failure doubles it
    pub backoff: Duration,
    /// how long one attempt may take
    pub timeout: Duration,
    /// how often the outbox is looked at
    pub poll: Duration,
}

impl WebhookConfig {
    pub fn new(url: String) -> Self {
        WebhookConfig {
            url,
            max_attempts: 8,
            backoff: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
            poll: Duration::from_secs(2),
        }
    }
}

/// Events handled in one pass.
const BATCH: i64 = 20;

/// Delivers what is due until the process ends.
pub fn spawn(pool: PgPool, config: WebhookConfig) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let client = reqwest::Client::builder().timeout(config.timeout).build()?;
    Ok(tokio::spawn(async move {
        loop {
            if let Err(e) = deliver_due(&pool, &client, &config).await {
                tracing::warn!(error = %e, "alert delivery pass failed");
            }
            tokio::time::sleep(config.poll).await;
        }
    }))
}

/// One pass over the due events; returns how many were attempted.
pub async fn deliver_due(
    pool: &PgPool,
    client: &reqwest::Client,
    config: &WebhookConfig,
) -> anyhow::Result<usize> {
    let mut tx = pool.begin().await?;
    let due = alerts::due(&mut tx, BATCH).await?;
    for queued in &due {
        let Some(alert) = alerts::get(&mut tx, queued.alert_id).await? else {
            continue;
        };
        let outcome = client
            .post(&config.url)
            .json(&payload(&alert, &queued.event))
            .send()
            .await;
        let (status, error) = match outcome {
            Ok(response) if response.status().is_success() => {
                (Some(i32::from(response.status().as_u16())), None)
            }
            Ok(response) => (
                Some(i32::from(response.status().as_u16())),
                Some(format!("the webhook answered {}", response.status())),
            ),
            // the error names the URL, which may hold the robot's key: keep only its kind
            Err(e) if e.is_timeout() => (None, Some("no answer in time".to_string())),
            Err(e) if e.is_connect() => (None, Some("could not connect".to_string())),
            Err(_) => (None, Some("the request failed".to_string())),
        };
        let retry_at = (queued.attempts + 1 < config.max_attempts).then(|| {
            let wait = config
                .backoff
                .saturating_mul(1u32 << queued.attempts.clamp(0, 16));
            Utc::now() + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1))
        });
        if let Some(error) = &error {
            tracing::warn!(alert = alert.id, event = %queued.event, attempt = queued.attempts + 1, %error, "alert not delivered");
        }
        alerts::record_attempt(&mut tx, queued, status, error.as_deref(), retry_at).await?;
    }
    tx.commit().await?;
    Ok(due.len())
}

/// The message: the robots' text form, with the alert itself for other receivers.
pub fn payload(alert: &Alert, event: &str) -> Value {
    json!({
        "msgtype": "text",
        "text": { "content": message(alert, event) },
        "event": event,
        "alert": alert,
    })
}

fn message(alert: &Alert, event: &str) -> String {
    let what = match alert.kind.as_str() {
        "over_target" => "未达水质目标",
        "worse_than_v" => "水质劣Ⅴ类",
        "rebound" => "黑臭水体回潮反弹",
        "soil_over_screening" => "土壤超筛选值",
        "soil_over_intervention" => "土壤超管制值",
        other => other,
    };
    let state = match event {
        "opened" => "预警",
        "acknowledged" => "已确认",
        _ => "已解除",
    };
    let cause = &alert.cause.0;
    let mut parts = Vec::new();
    if let Some(target) = cause.get("target").and_then(Value::as_str)
        && let Ok(class) = target.parse::<WaterClass>()
    {
        parts.push(format!("目标{}类", class.label_zh()));
    }
    for p in cause["parameters"].as_array().into_iter().flatten() {
        let limit = p
            .get("limit")
            .or_else(|| p.get("screening"))
            .and_then(Value::as_f64)
            .map(|l| format!(",限值{l}"))
            .unwrap_or_default();
        parts.push(format!(
            "{} {} {}{limit}",
            p["parameter"].as_str().unwrap_or(""),
            p["value"],
            p["unit"].as_str().unwrap_or("")
        ));
    }
    format!(
        "【{state}】{} {}:{what}。{}。采样时间 {}",
        alert.site_code,
        alert.site_name,
        parts.join(";"),
        alert
            .sampled_at
            .with_timezone(&china_time())
            .format("%Y-%m-%d %H:%M")
    )
}
