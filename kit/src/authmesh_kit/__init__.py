"""The runtime every Authmesh service shares, written once."""
