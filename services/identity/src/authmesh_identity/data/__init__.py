"""Data files identity ships as package data (see README.md here for sources and licences)."""
