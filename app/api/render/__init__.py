"""Renderers: what the services return, written in the formats people and their tools read.

Markdown (`markdown` for dates and recorded text, `cpd` for the CPD record, `digest` for the
recognition digest), SVG charts (`charts`) and iCalendar (`ical`). Services return data and
never write these formats; a route chooses the format the caller asked for and renders here.
"""
