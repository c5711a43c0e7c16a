"""Composing documents: the template context, the sandboxed templates, escaping, spelling, audience documents."""
