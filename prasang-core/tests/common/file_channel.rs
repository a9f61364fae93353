//! A channel that appends every delivered idempotency key to a file and fsyncs before it
//! answers, and the store configured with it: what the SIGKILL tests of delivery count.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;

use parking_lot::Mutex;
use prasang_core::Config;
use prasang_core::notify::{Channel, DeliveryError, DeliveryPolicy, Notification, Receipt};
use prasang_core::users::PasswordCost;

/// Delivery workers of the file channel: at most this many deliveries are in flight at a kill.
pub const WORKERS: usize = 2;
pub const CHANNEL: &str = "file";

/// Appends each delivered idempotency key as one line and fsyncs before answering.
pub struct FileChannel {
    file: Mutex<File>,
}

impl FileChannel {
    pub fn open(path: &Path) -> Self {
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(path)
            .expect("open key file");
        // A kill cannot split one small write, but be safe: never glue a key onto a torn line.
        let mut text = String::new();
        file.read_to_string(&mut text).expect("read key file");
        if !text.is_empty() && !text.ends_with('\n') {
            file.write_all(b"\n").expect("terminate torn line");
        }
        FileChannel {
            file: Mutex::new(file),
        }
    }
}

impl Channel for FileChannel {
    fn id(&self) -> &str {
        CHANNEL
    }

    fn deliver(&self, notification: &Notification) -> Result<Receipt, DeliveryError> {
        let mut file = self.file.lock();
        let line = format!("{}\n", notification.idempotency_key);
        file.write_all(line.as_bytes())
            .and_then(|()| file.sync_data())
            .map_err(|e| DeliveryError::Temporary(e.to_string()))?;
        Ok(Receipt {
            remote_id: Some(notification.idempotency_key.clone()),
            detail: "appended".into(),
        })
    }
}

/// A store in `dir/data` whose users are told through the file channel (`dir/keys.txt`).
pub fn config(dir: &Path, background: bool) -> Config {
    Config::new(dir.join("data"))
        .password_cost(PasswordCost::INSECURE_FAST)
        .background_tasks(background)
        .channel(Arc::new(FileChannel::open(&dir.join("keys.txt"))))
        .delivery_policy(DeliveryPolicy {
            default_channels: vec![CHANNEL.into()],
            workers_per_channel: WORKERS,
            ..DeliveryPolicy::default()
        })
}

/// The keys delivered so far, one per line.
pub fn key_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}
