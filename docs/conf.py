"""Sphinx configuration: MyST Markdown pages with the furo theme."""

project = "consentkit"
author = "consentkit developers"
extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.napoleon"]
source_suffix = {".md": "markdown"}
html_theme = "furo"
myst_heading_anchors = 3
nitpicky = False
