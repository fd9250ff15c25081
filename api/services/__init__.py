"""The rules of Zonecut, grouped by domain, in their own types and errors."""
