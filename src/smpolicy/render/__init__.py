"""Rendering: Markdown tree, DOCX, HTML, PDF, the flowchart, house style and the redline."""
