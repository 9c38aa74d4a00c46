"""Subject-access and erasure search: a keyed index of the identifiers found in each file (never a value), kept
with the file as it is recorded, and the search a data protection officer runs over it."""
