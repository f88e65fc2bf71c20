"""Mail helpers: render templates, compose messages (pure), and the SMTP/IMAP adapters."""
