"""Subject-access and erasure search: a keyed index of the identifiers found in each file (never a value), kept
with the file as it is recorded (index.py, called by runs/record.py), the search over it (search.py) and its
outputs (render.py). Imports findings, register and store; imported by runs, web and cli."""
