//! SMTP sink (later).
