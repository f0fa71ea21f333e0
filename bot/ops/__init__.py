"""Operational concerns of the running bot (logging; later metrics and health)."""
