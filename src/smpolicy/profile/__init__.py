"""The profile: its model and file format, the JSON Schema, the wizard's questions and terminal."""
