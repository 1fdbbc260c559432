"""Analyses built on the engine for the playground's tabs (Compare, Sample, What-if, Learn): plain Python
and plain data, no gradio; the tabs in playground/ui/ only draw and wire what these return."""
