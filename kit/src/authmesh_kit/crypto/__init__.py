"""Symmetric encryption shared by the services (never hand-rolled: `cryptography`'s AES-GCM)."""
