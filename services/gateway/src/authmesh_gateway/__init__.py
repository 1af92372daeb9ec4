"""The Authmesh gateway."""
