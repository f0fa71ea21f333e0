"""Content: safe YAML loading, the content model, and the validator editors rely on."""
