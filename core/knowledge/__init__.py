"""The knowledge entries: loading and validation, editing YAML in place, status, scaffold and spreadsheets."""
