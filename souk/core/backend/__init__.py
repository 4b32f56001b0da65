"""The database backend: Django's PostGIS backend, with batches that fit PostgreSQL's limit of
65,535 parameters per statement (see `base`)."""
