"""Family file: families, guardians, children and their change requests."""
