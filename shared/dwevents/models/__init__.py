"""Payload models, one module per DataWorks module. Loaded lazily through the catalogue."""
