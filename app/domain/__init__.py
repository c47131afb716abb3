"""Pure rules and vocabulary of GPS. Imports nothing from the web or database layers."""
