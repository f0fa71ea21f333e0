"""Checks over all the content at once (validate, report): they render through the engine."""
