"""Adapters: real SMTP and IMAP clients and the local sandbox servers behind the engine's ports."""
