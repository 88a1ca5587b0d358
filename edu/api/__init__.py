"""Versioned JSON API with an OpenAPI document."""
